// JSON errors for both listeners: every failure leaves as { code, message } (plus field names for
// validation errors) with the right status, never an HTML page or a stack trace.

import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { JobTransitionError } from '../jobs/states.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function sendError(res: Response, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  res.status(status).json({ code, message, ...extra });
}

/** Parses a request body with a zod schema, or throws a 400 naming each bad field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.infer<S> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const fields = [...new Set(r.error.issues.map((i) => i.path.join('.') || '(body)'))];
  const detail = r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
  throw new ApiError(400, 'validation_failed', `The ${what} is invalid: ${detail}`, fields);
}

export const notFoundRoute: RequestHandler = (req, res) => {
  sendError(res, 404, 'not_found', `There is no ${req.method} ${req.path} on this listener`);
};

export function errorHandler(log: (msg: string, fields: Record<string, unknown>) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) return;
    const e = err as { type?: string; status?: number; limit?: number };
    if (err instanceof ApiError) {
      sendError(res, err.status, err.code, err.message, err.fields ? { fields: err.fields } : {});
    } else if (err instanceof JobTransitionError) {
      sendError(res, 409, err.code, err.message, { state: err.from });
    } else if (e?.type === 'entity.too.large') {
      sendError(res, 413, 'body_too_large', `The request body is larger than the ${e.limit ?? 'allowed'} bytes this endpoint accepts`);
    } else if (e?.type === 'entity.parse.failed') {
      sendError(res, 400, 'invalid_json', 'The request body is not valid JSON');
    } else if (err instanceof URIError) {
      // A malformed percent-escape in the path (`/v1/jobs/%`): the caller's mistake, not ours.
      sendError(res, 400, 'malformed_path', 'The address has a malformed percent-escape (a % not followed by two hex digits); encode % as %25');
    } else if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') {
      sendError(res, 415, 'unsupported_encoding', 'Send the body as UTF-8 JSON');
    } else {
      log('request failed', { requestId: res.locals.requestId, method: req.method, path: req.path, error: String((err as Error)?.message ?? err) });
      sendError(res, 500, 'internal', `Internal error; see the backend log for request ${String(res.locals.requestId ?? '')}`);
    }
  };
}
