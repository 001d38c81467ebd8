// A process with the backend's last-resort handlers and a tiny HTTP server, told by its test what to
// throw: it must keep answering after failures that are safe to survive and exit 1 after others.

import { createServer } from 'node:http';
import { installLastResort } from '../../../core/server/lastResort.ts';
import { createJsonLogger } from '../../../core/server/logger.ts';

installLastResort({ log: createJsonLogger((line) => void process.stderr.write(line), 'info') });

const server = createServer((req, res) => {
  const what = new URL(req.url ?? '/', 'http://x').searchParams.get('fail');
  if (what === 'rejection') {
    // A background task nobody awaits, as a duplicate search or an SSE push would be.
    void Promise.reject(new Error('duplicate search failed: Jira answered 502'));
  } else if (what === 'transfer') {
    // Thrown out of a stream callback, as a download library does when the source lies about its length.
    setImmediate(() => {
      const err = new Error('Content-Length said 1000 bytes, the source sent 10');
      err.name = 'InvalidContentLengthError';
      throw err;
    });
  } else if (what === 'socket') {
    setImmediate(() => {
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    });
  } else if (what === 'bug') {
    setImmediate(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'items')");
    });
  }
  res.end('ok');
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`${typeof a === 'object' && a ? a.port : 0}\n`);
});
