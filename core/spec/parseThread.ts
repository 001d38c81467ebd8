// The worker side of parseOffThread.ts: parses Confluence storage pages sent by the main thread and
// answers with the document, or with the SpecInputError (code and message) that refused the page.

import { parentPort } from 'node:worker_threads';
import { parseSpec } from './index.ts';
import { SpecInputError } from './types.ts';

export interface ParseRequest {
  id: number;
  title: string;
  body: string;
}

export type ParseReply =
  | { id: number; ok: true; doc: ReturnType<typeof parseSpec> }
  | { id: number; ok: false; error: { input: true; code: SpecInputError['code']; message: string } | { input: false; message: string } };

parentPort?.on('message', (req: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = { id: req.id, ok: true, doc: parseSpec(req.body, { format: 'storage', title: req.title }) };
  } catch (err) {
    reply = {
      id: req.id,
      ok: false,
      error: err instanceof SpecInputError ? { input: true, code: err.code, message: err.message } : { input: false, message: (err as Error)?.message ?? String(err) },
    };
  }
  parentPort!.postMessage(reply);
});
