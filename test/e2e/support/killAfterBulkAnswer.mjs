// Preload (node --import) that kills its own process with SIGKILL the moment Jira's answer to the
// Nth bulk create request (S2T_KILL_AFTER_BULK, counted from 1) has arrived and been parsed, before
// the product sees it: Jira has created the issues, the ledger never hears of them. The issues of
// that answer are written as JSON to the file named by S2T_KILL_REPORT first, so a test can tell
// which issues exist only in Jira.
import { writeFileSync } from 'node:fs';

const nth = Number(process.env.S2T_KILL_AFTER_BULK);
const report = process.env.S2T_KILL_REPORT;
if (!Number.isInteger(nth) || nth < 1 || !report) throw new Error('killAfterBulkAnswer.mjs needs S2T_KILL_AFTER_BULK (a count from 1) and S2T_KILL_REPORT (a file path).');

const realFetch = globalThis.fetch;
let seen = 0;
globalThis.fetch = async function (input, init) {
  const res = await realFetch(input, init);
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const method = (init?.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET')).toUpperCase();
  if (method !== 'POST' || !/\/rest\/api\/3\/issue\/bulk$/.test(new URL(url).pathname) || ++seen !== nth) return res;
  const body = JSON.parse(await res.text());
  writeFileSync(report, JSON.stringify({ status: res.status, issues: body.issues ?? [], errors: body.errors ?? [] }));
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL to oneself is delivered at once; nothing below runs.
  await new Promise(() => {});
};
