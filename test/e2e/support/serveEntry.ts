// The backend's commands as a program of their own, so tests run `serve` and `keys` exactly as a
// user would, in a child process (the product's main CLI registers the same two commands).

import { Command } from 'commander';
import { registerServe } from '../../../core/cli/serve.ts';
import { registerKeys } from '../../../core/cli/keys.ts';

const program = new Command().name('spec2tickets');
registerServe(program);
registerKeys(program);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`spec2tickets: ${(err as Error).message}\n`);
  process.exitCode = 2;
}
