// Wraps a resolver so an unexpected exception (Forge storage down, a bug) reaches the UI as a
// readable failure instead of Forge's generic "function failed" — and never with a stack or secret.
// One exception passes through: Forge's "needs authentication" error, raised when a user has not yet
// allowed the app to act as them (asUser); Forge answers it by asking the user for that consent.

import type { Request } from '@forge/resolver';
import type { Failure } from '#src/resolvers/definitions';

export function guarded<A, R>(fn: (req: Request<A>) => Promise<R>, action: string): (req: Request<A>) => Promise<R | Failure> {
  return async (req) => {
    try {
      return await fn(req);
    } catch (err) {
      if (err instanceof Error && err.name === 'NEEDS_AUTHENTICATION_ERR') throw err;
      const reason = err instanceof Error ? err.message : String(err);
      // Messages from Forge storage or the runtime carry no secrets, but cut them short and single-line.
      const short = reason.replace(/\s+/g, ' ').slice(0, 300);
      return { ok: false, code: 'internal', message: `Spec2Tickets could not ${action}: ${short}. Try again; if it keeps failing, check the app's logs in the Forge developer console.` };
    }
  };
}
