// The desktop bundle Electron runs: built into a temp folder by the real build script.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { fork, spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDesktop } from '../build/build-desktop.mjs';
import { parseSpec } from '../core/spec/index.ts';
import { draftBreakdown } from '../core/drafter/index.ts';
import type { ParseAck, ParseReply } from '../core/spec/parseThread.ts';
import type { DraftMessage, DraftReply } from '../core/drafter/draftThread.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 's2t-desktop-bundle-'));
// Laid out like the app: <root>/dist/app/*.mjs beside <root>/node_modules.
const out = join(tmp, 'dist', 'app');
mkdirSync(out, { recursive: true });
symlinkSync(join(root, 'node_modules'), join(tmp, 'node_modules'), 'dir');
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Bare package names the bundle imports (static and dynamic). */
function importedPackages(code: string): Set<string> {
  const names = new Set<string>();
  for (const m of code.matchAll(/(?:^|\n)\s*import\s[^;]*?from\s*"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g)) {
    const spec = m[1] ?? m[2];
    if (spec && !spec.startsWith('.') && !spec.startsWith('node:')) names.add(spec);
  }
  return names;
}

test('build:desktop writes the main and backend bundles with packages left to node_modules', async () => {
  const files = await buildDesktop({ outdir: out });
  const main = join(out, 'main.mjs');
  const backend = join(out, 'backendProcess.mjs');
  assert.ok(files.includes(main) && files.includes(backend), `written: ${files.join(', ')}`);
  assert.ok(existsSync(main) && existsSync(backend));

  const mainCode = readFileSync(main, 'utf8');
  const backendCode = readFileSync(backend, 'utf8');
  const mainImports = importedPackages(mainCode);
  const backendImports = importedPackages(backendCode);

  assert.ok(mainImports.has('electron'), 'the main process imports electron from the runtime');
  assert.ok(mainImports.has('keytar'), 'keytar (native) is loaded from node_modules, not inlined');
  assert.ok(!backendImports.has('electron'), 'the backend process does not need electron');
  for (const native of ['better-sqlite3', 'node-llama-cpp']) assert.ok(backendImports.has(native), `${native} stays an import`);
  // Inlined native packages would carry their loader code; our own modules are bundled.
  for (const code of [mainCode, backendCode]) {
    assert.doesNotMatch(code, /require\(["']bindings["']\)|\.node["']\)|prebuild-install|node-gyp-build/);
    assert.doesNotMatch(code, /from\s*"\.\.?\//, 'no relative import is left unbundled');
  }
  assert.match(backendCode, /backend:hello/, 'the backend host is in the backend bundle');
  assert.match(mainCode, /backendProcess\.mjs/, 'the main process forks the bundled backend entry');
});

test('the bundled backend entry loads every package it imports and refuses to run outside the app', async () => {
  await buildDesktop({ outdir: out });
  // ESM imports resolve before the body runs, so reaching the parent-port check proves that
  // every package (SQLite, model runtime, express, zod...) loads from the bundle as ESM.
  const r = spawnSync(process.execPath, [join(out, 'backendProcess.mjs')], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /This is the desktop app's backend process; start the app instead, or run "spec2tickets serve"/);
});

test('the bundled backend runs end to end over a parent port: hello, start, ready, stop', async () => {
  await buildDesktop({ outdir: out });
  const data = join(tmp, 'data');
  // Electron gives a utility process `process.parentPort`; plain Node gets one bridged to IPC.
  const shim = join(tmp, 'parent-port.mjs');
  writeFileSync(
    shim,
    "process.parentPort = { postMessage: (m) => process.send(m), on: (ev, l) => { if (ev === 'message') process.on('message', (m) => l({ data: m })); } };\n",
  );
  const child = fork(join(out, 'backendProcess.mjs'), [], {
    execArgv: ['--import', pathToFileURL(shim).href],
    env: { PATH: process.env.PATH ?? '', HOME: tmp, SPEC2TICKETS_DATA_DIR: data, SPEC2TICKETS_PUBLIC_PORT: '0', SPEC2TICKETS_ADMIN_PORT: '0', SPEC2TICKETS_NO_KEYCHAIN: '1' },
    cwd: tmp,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  const messages: unknown[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const next = (type: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} within 30 s; stderr: ${stderr}`)), 30_000);
      const on = (m: unknown) => {
        messages.push(m);
        if ((m as { type?: string }).type === type) {
          clearTimeout(timer);
          child.off('message', on);
          resolve(m as Record<string, unknown>);
        }
      };
      child.on('message', on);
    });
  try {
    const hello = await next('backend:hello');
    assert.equal(hello.pid, child.pid);
    const ready = next('backend:ready');
    child.send({ type: 'shell:start', secrets: {}, secretStore: { kind: 'keychain', writable: true }, version: '1.0.0' });
    const { adminUrl } = await ready;
    const admin = new URL(String(adminUrl));
    const res = await fetch(`${admin.origin}/api/session`, { headers: { authorization: `Bearer ${admin.searchParams.get('token')}` } });
    assert.equal(res.status, 200);
    child.send({ type: 'shell:stop' });
    assert.equal(await exited, 0, stderr);
    assert.ok(existsSync(data), 'the backend used the configured data folder');
  } finally {
    child.kill();
  }
});

const PAGE = '<h1>Sign-in</h1><h2>Accounts</h2><ul><li>The system must let users sign in with their e-mail address.</li><li>Users should reset a forgotten password.</li></ul><p>As an admin I want to lock an account.</p>';

/** Sends one message to a built worker file and returns its first answer. */
async function askWorker<T>(file: string, messages: unknown[]): Promise<T> {
  const worker = new Worker(pathToFileURL(file));
  try {
    const answer = new Promise<T>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the worker ${file} ended (exit code ${code}) without answering`)));
    });
    for (const m of messages) worker.postMessage(m);
    return await answer;
  } finally {
    await worker.terminate();
  }
}

/** Parses a page on a built parser thread file, taking its document a slice at a time as the backend does. */
async function parseThroughWorker(file: string, body: string, title: string): Promise<unknown> {
  const worker = new Worker(pathToFileURL(file));
  try {
    const sections: unknown[] = [];
    const blocks: unknown[] = [];
    return await new Promise((resolve, reject) => {
      worker.on('message', (reply: ParseReply) => {
        if (!reply.ok) return reject(new Error(JSON.stringify(reply.error)));
        if (reply.part === 'done') {
          const { title: t, format, language, warnings } = reply.doc;
          return resolve({ title: t, format, language, sections, blocks, warnings });
        }
        if (reply.part === 'sections') sections.push(...reply.sections);
        else blocks.push(...reply.blocks);
        worker.postMessage({ id: reply.id, ack: true } satisfies ParseAck);
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the worker ${file} ended (exit code ${code}) without answering`)));
      worker.postMessage({ id: 1, title, body });
    });
  } finally {
    await worker.terminate();
  }
}

test('the backend\'s worker threads are bundles beside it that parse and draft a page', async () => {
  const files = await buildDesktop({ outdir: out });
  const parseThread = join(out, 'parseThread.mjs');
  const draftThread = join(out, 'draftThread.mjs');
  for (const f of [parseThread, draftThread]) assert.ok(files.includes(f) && existsSync(f), `${f} written (written: ${files.join(', ')})`);
  const backendCode = readFileSync(join(out, 'backendProcess.mjs'), 'utf8');
  for (const name of ['parseThread', 'draftThread']) assert.ok(backendCode.includes(`"${name}"`), `the backend bundle starts ${name} from beside itself`);

  const expected = parseSpec(PAGE, { format: 'storage', title: 'Sign-in' });
  assert.deepEqual(await parseThroughWorker(parseThread, PAGE, 'Sign-in'), expected);

  const { sections, blocks, ...rest } = expected;
  const drafted = await askWorker<DraftReply>(draftThread, [
    { id: 1, part: 'sections', sections },
    { id: 1, part: 'blocks', blocks },
    { id: 1, part: 'request', doc: rest, op: 'breakdown' },
  ] satisfies DraftMessage[]);
  assert.ok(drafted.ok, JSON.stringify(drafted));
  assert.deepEqual(drafted.breakdown, draftBreakdown(expected));
});

test('bundled like the backend, parsing and drafting run on those worker files, and without them fall back to the main thread', async () => {
  await buildDesktop({ outdir: out });
  // The backend's own thread clients, bundled with the backend's settings into the same folder.
  const probeSource = join(tmp, 'threads-probe.ts');
  writeFileSync(
    probeSource,
    `import { PageParserThread } from ${JSON.stringify(join(root, 'core/spec/parseOffThread.ts'))};
import { DrafterThread } from ${JSON.stringify(join(root, 'core/drafter/draftOffThread.ts'))};
const warnings = [];
const log = { info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
const parser = new PageParserThread(log);
const drafts = new DrafterThread({ log });
const doc = await parser.parse({ title: 'Sign-in', body: ${JSON.stringify(PAGE)} });
const breakdown = await drafts.draftBreakdown(doc);
console.log(JSON.stringify({ warnings, blocks: doc.blocks.length, stories: breakdown.epics.flatMap((e) => e.stories).length }));
await parser.close();
await drafts.close();
`,
  );
  await build({ entryPoints: [probeSource], outfile: join(out, 'threadsProbe.mjs'), bundle: true, platform: 'node', format: 'esm', target: 'node22', packages: 'external', logLevel: 'warning' });
  const probe = () => {
    const r = spawnSync(process.execPath, [join(out, 'threadsProbe.mjs')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { warnings: string[]; blocks: number; stories: number };
  };
  const expected = parseSpec(PAGE, { format: 'storage', title: 'Sign-in' });
  const onThreads = probe();
  assert.deepEqual(onThreads.warnings, [], 'no fallback to the main thread');
  assert.equal(onThreads.blocks, expected.blocks.length);
  assert.ok(onThreads.stories > 0);

  // The same bundle without the worker files still answers, on the main thread, and says so.
  rmSync(join(out, 'parseThread.mjs'));
  rmSync(join(out, 'draftThread.mjs'));
  const fallback = probe();
  assert.equal(fallback.blocks, expected.blocks.length);
  assert.deepEqual(fallback.warnings, [
    'pages are parsed on the main thread: the parser thread could not start',
    'breakdowns are drafted on the main thread: the drafter thread could not start',
  ]);
  await buildDesktop({ outdir: out });
});
