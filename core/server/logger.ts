// Structured log lines (one JSON object per line) for the backend. Callers pass fields, never
// secrets; the session token and API keys are never given to the logger.

import type { Logger } from '../jobs/runner.ts';

export type LogLevel = 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { info: 0, warn: 1, error: 2, silent: 3 };

export function createJsonLogger(write: (line: string) => void, level: LogLevel = 'info', now: () => Date = () => new Date()): Logger {
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    write(`${JSON.stringify({ time: now().toISOString(), level: lvl, msg, ...fields })}\n`);
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
