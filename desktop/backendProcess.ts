// Entry of the backend utility process (bundled to dist/app/backendProcess.mjs). Connects the
// backend host to Electron's parent port; everything else lives in backendHost.ts and core/.
// A native crash in the model runtime ends only this process; the shell restarts it.

import { join } from 'node:path';
import { createJsonLogger } from '../core/server/logger.ts';
import { installLastResort } from '../core/server/lastResort.ts';
import { runBackendHost } from './backendHost.ts';

// Set by Electron in a utility process (typed by electron.d.ts); null anywhere else.
const parentPort = (process as { parentPort?: Electron.ParentPort | null }).parentPort;

if (!parentPort) {
  process.stderr.write('This is the desktop app\'s backend process; start the app instead, or run "spec2tickets serve" for the headless backend.\n');
  process.exit(2);
} else {
  // One JSON object per line on stderr, which the shell forwards to its own output.
  const log = createJsonLogger((line) => void process.stderr.write(line), 'info');
  // Nothing a background task or a transfer throws ends the process (see lastResort.ts).
  installLastResort({ log, exit: (code) => process.exit(code) });
  void runBackendHost({
    port: {
      postMessage: (m) => parentPort.postMessage(m),
      onMessage: (listener) => void parentPort.on('message', (e) => listener(e.data)),
    },
    log,
    pid: process.pid,
    exit: (code) => process.exit(code),
    // The shell sets the data folder (the OS's app-data folder); .env is read from there, not from
    // whatever the working directory of a desktop launch happens to be.
    config: process.env.SPEC2TICKETS_DATA_DIR ? { dotenvPath: join(process.env.SPEC2TICKETS_DATA_DIR, '.env') } : {},
  });
}
