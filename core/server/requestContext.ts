// Request ids and access logs shared by both listeners: each request carries an X-Request-Id
// (the caller's, when it is sane, else a new one) that appears in the response and in every log line.

import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../jobs/runner.ts';

const SANE_ID = /^[A-Za-z0-9._:-]{1,100}$/;

export function requestContext(listener: 'public' | 'admin', log: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && SANE_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // Paths only: query strings may carry the admin session token.
      log.info('request', {
        listener,
        requestId: id,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        ...(res.locals.apiKeyId ? { apiKey: res.locals.apiKeyId } : {}),
      });
    });
    next();
  };
}
