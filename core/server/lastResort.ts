// The last line of defence of a backend process: a failure nobody caught is logged (with a message a
// person can act on, never a secret-bearing request) and, where it is safe, the process keeps serving.
// - A rejected promise nobody awaited (a background duplicate search, a retention sweep, an SSE push)
//   leaves no half-run synchronous code behind: it is logged and the process goes on.
// - An exception thrown out of a socket or stream callback (a download source that closes mid-stream
//   or lies about its length, a client that hangs up) is an I/O failure of that one transfer: logged,
//   process goes on.
// - Anything else thrown synchronously may have left state half-changed: it is logged and the process
//   exits with code 1, so the supervisor (desktop shell, systemd) starts a clean one and jobs resume.

import type { Logger } from '../jobs/runner.ts';

// Error codes and names of failures that belong to one transfer, not to the process.
const IO_CODES = /^(E[A-Z]+|ERR_STREAM_[A-Z_]+|ERR_HTTP_[A-Z_]+|ERR_SOCKET_[A-Z_]+|UND_ERR_[A-Z_]+|ABORT_ERR)$/;
const IO_NAMES = new Set(['AbortError', 'TimeoutError', 'InvalidContentLengthError', 'ResponseAborted', 'RequestAbortedError']);

/** Whether an uncaught exception is the failure of one transfer, after which the process is sound. */
export function isTransferFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'string' && IO_CODES.test(code)) || IO_NAMES.has(err.name);
}

function describe(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { error: String(err) };
  const code = (err as { code?: unknown }).code;
  return { error: err.message, name: err.name, ...(typeof code === 'string' ? { code } : {}), stack: err.stack?.split('\n').slice(0, 6).join('\n') };
}

export interface LastResortOptions {
  log: Logger;
  /** How the process ends after an unsafe failure (tests pass their own). */
  exit?: (code: number) => void;
}

/** Installs the handlers; returns the function that removes them. */
export function installLastResort(o: LastResortOptions): () => void {
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const onRejection = (reason: unknown) => {
    o.log.error('a background task failed and nothing handled it; the backend keeps running', describe(reason));
  };
  const onException = (err: unknown) => {
    if (isTransferFailure(err)) {
      o.log.error('a transfer failed outside any request; the backend keeps running', describe(err));
      return;
    }
    o.log.error('an unexpected error left the backend in an unknown state; stopping so it can be restarted cleanly (running jobs resume)', describe(err));
    exit(1);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
