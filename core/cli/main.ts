// The spec2tickets command line: one program, one register function per command. Maps failures to
// exit codes: 0 ok, 2 input the user can fix (message on stderr, no stack), 1 unexpected.

import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { CliInputError, registerGenerate } from './generate.ts';
import { registerServe } from './serve.ts';
import { registerKeys } from './keys.ts';
import { registerBackup } from './backup.ts';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function buildProgram(): Command {
  const program = new Command()
    .name('spec2tickets')
    .description('Turn a specification page into a reviewed set of Jira work items.')
    .version(VERSION, '-v, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError('(run spec2tickets --help for usage)');
  registerGenerate(program);
  registerServe(program);
  registerKeys(program);
  registerBackup(program);
  return program;
}

export async function runCli(argv: string[], stderr: (text: string) => void = (t) => void process.stderr.write(t)): Promise<number> {
  const program = buildProgram();
  // A closed pipe (`spec2tickets generate page.xml | head`) is the reader's choice, not a failure.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    // Commander has already printed help, the version or the usage problem.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof CliInputError) {
      stderr(`spec2tickets: ${e.message}\n`);
      return 2;
    }
    stderr(`spec2tickets: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.SPEC2TICKETS_DEBUG && e instanceof Error && e.stack) stderr(`${e.stack}\n`);
    return 1;
  }
}

const isEntry = ((): boolean => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (isEntry) process.exitCode = await runCli(process.argv);
