#!/usr/bin/env node
// `npm run build:desktop`: bundles the desktop shell (desktop/ and the core/ code it calls) with
// esbuild into dist/app/main.mjs (Electron main process) and dist/app/backendProcess.mjs (backend
// utility process), because Electron runs JavaScript, not TypeScript. The backend's worker threads
// (page parsing, drafting) are bundles of their own beside it (dist/app/parseThread.mjs,
// dist/app/draftThread.mjs): the backend starts each from the file next to its own. Every package stays an
// import from node_modules: Electron provides 'electron', and native modules (better-sqlite3,
// node-llama-cpp, keytar) must load from their own folders, unpacked from asar by electron-builder.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));

export const DESKTOP_ENTRIES = {
  main: 'desktop/main.ts',
  backendProcess: 'desktop/backendProcess.ts',
  // Worker threads: named as core/spec/parseOffThread.ts and core/drafter/draftOffThread.ts look for them.
  parseThread: 'core/spec/parseThread.ts',
  draftThread: 'core/drafter/draftThread.ts',
};

/** Bundles the desktop entries into outdir (dist/app by default); returns the files written. */
export async function buildDesktop({ outdir = join(root, 'dist', 'app'), minify = false } = {}) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(DESKTOP_ENTRIES).map(([name, file]) => [name, join(root, file)])),
    outdir: resolve(outdir),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    // Electron 45 runs Node 22.
    target: 'node22',
    packages: 'external',
    external: ['electron'],
    sourcemap: 'linked',
    minify,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
  });
  return Object.keys(result.metafile.outputs).map((f) => resolve(root, f));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = process.argv[2];
  try {
    const files = await buildDesktop(outdir ? { outdir } : {});
    console.log(`desktop bundle written: ${files.filter((f) => f.endsWith('.mjs')).join(', ')}`);
  } catch (err) {
    console.error(`build-desktop: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
