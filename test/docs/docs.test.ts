// The docs stay true to the code where that can be checked mechanically: every environment
// variable, CLI flag, admin/public route and config.json key the docs name exists in the code;
// every Atlassian REST path they name is in Atlassian's OpenAPI documents; every relative link (and
// its #anchor) resolves; and every message the troubleshooting guide quotes is one the code can
// produce.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIELD_SCHEMAS } from '../../core/config/config.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function walk(dir: string, keep: (file: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, keep, out);
    else if (keep(p)) out.push(p);
  }
  return out;
}

const docFiles = [join(root, 'README.md'), ...walk(join(root, 'docs'), (f) => f.endsWith('.md'))];
const docs = docFiles.map((file) => ({ file, rel: relative(root, file), text: readFileSync(file, 'utf8') }));
const sourceFiles = ['core', 'desktop', 'build', 'renderer/src', 'forge/src'].flatMap((d) =>
  walk(join(root, d), (f) => /\.(ts|tsx|mjs|sh)$/.test(f) && !/\.test\.tsx?$/.test(f)),
);
const source = sourceFiles.map((f) => readFileSync(f, 'utf8')).join('\n');

test('every SPEC2TICKETS_ environment variable the docs name is read by the code', () => {
  const missing = new Set<string>();
  for (const d of docs) for (const [name] of d.text.matchAll(/SPEC2TICKETS_[A-Z0-9_]*[A-Z0-9]/g)) if (!source.includes(name)) missing.add(`${name} (${d.rel})`);
  assert.deepEqual([...missing], []);
});

test('every relative link in the docs resolves, anchors included', () => {
  const slug = (heading: string) =>
    heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
  const anchors = (file: string) => new Set([...readFileSync(file, 'utf8').matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!.replace(/`/g, ''))));
  const broken: string[] = [];
  for (const d of docs) {
    for (const [, target] of d.text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue;
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const file = path ? resolve(dirname(d.file), path) : d.file;
      if (!existsSync(file)) broken.push(`${d.rel}: ${target} (no such file)`);
      else if (anchor && file.endsWith('.md') && !anchors(file).has(anchor)) broken.push(`${d.rel}: ${target} (no heading #${anchor})`);
    }
  }
  assert.deepEqual(broken, []);
});

test('every spec2tickets command-line flag in the docs is an option the CLI registers', () => {
  const cli = walk(join(root, 'core/cli'), (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const known = new Set([...cli.matchAll(/['"`](?:-\w, )?(--[a-z][a-z-]*)/g)].map((m) => m[1]!));
  const unknown = new Set<string>();
  for (const d of docs) {
    for (const line of d.text.split('\n')) {
      const at = line.search(/spec2tickets(\.mjs)? (generate|serve|keys|backup)\b/);
      if (at < 0) continue;
      for (const [flag] of line.slice(at).matchAll(/(?<![\w-])--[a-z][a-z-]*/g)) if (!known.has(flag)) unknown.add(`${flag} (${d.rel})`);
    }
  }
  assert.ok(known.has('--data-dir') && known.has('--model'), 'the CLI options were found');
  assert.deepEqual([...unknown], []);
});

test("every route of the product the docs name is routed by the server, and every Atlassian path is in Atlassian's OpenAPI documents", () => {
  const server = walk(join(root, 'core/server'), (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const norm = (p: string) => p.replace(/\{[^}]+\}|:[A-Za-z]+|<[^>]+>/g, ':p').replace(/\?.*$/, '').replace(/\/$/, '');
  const literals = new Set([...server.matchAll(/['"`](\/[A-Za-z0-9_:./-]*)['"`]/g)].map((m) => norm(m[1]!)));
  const routed = (path: string): boolean => {
    if (literals.has(path)) return true;
    // A router mounted under a prefix: the prefix and the rest are both route literals.
    for (const l of literals) if (l && path.endsWith(l) && literals.has(path.slice(0, path.length - l.length))) return true;
    return false;
  };
  const openapi = ['jira-platform-v3', 'confluence-v2'].flatMap((name) => {
    const doc = JSON.parse(readFileSync(join(root, `test/fakes/atlassian/openapi/${name}.openapi.json`), 'utf8')) as { paths: Record<string, unknown> };
    return Object.keys(doc.paths).map((p) => norm(name.startsWith('confluence') ? `/wiki/api/v2${p}` : p));
  });
  const problems: string[] = [];
  for (const d of docs) {
    for (const [, , raw] of d.text.matchAll(/\b(GET|POST|PUT|DELETE|PATCH) (\/[A-Za-z0-9_:{}<>./?=&-]*)/g)) {
      const path = norm(raw!.replace(/[.,;]+$/, ''));
      if (path.startsWith('/rest/') || path.startsWith('/wiki/')) {
        if (!openapi.includes(path)) problems.push(`${d.rel}: ${raw} is not in Atlassian's OpenAPI documents`);
      } else if (!routed(path)) problems.push(`${d.rel}: ${raw} is not a route of the backend`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the config.json example in the operations guide has every setting the file accepts, and no other', () => {
  const ops = docs.find((d) => d.rel === 'docs/operations.md');
  assert.ok(ops, 'docs/operations.md exists');
  const block = /## config\.json[\s\S]*?```json\n([\s\S]*?)```/.exec(ops.text)?.[1];
  assert.ok(block, 'the guide has a config.json example');
  const example = Object.keys(JSON.parse(block) as object).sort();
  const accepted = Object.keys(FIELD_SCHEMAS)
    .filter((k) => k !== 'dataDir')
    .sort();
  assert.deepEqual(example, accepted);
});

/**
 * Tokens of a message: `${…}` in code and `…` or a quoted value in the docs are wildcards; so is a
 * doc token with a digit (an id, a port, a host name), which may also stand for itself.
 */
type Token = { text: string; wild: boolean; free?: boolean };
function tokens(text: string, from: 'code' | 'doc'): Token[] {
  const out: Token[] = [];
  for (const [t] of text.matchAll(/\$\{(?:[^{}]|\{[^{}]*\})*\}|…|"[^"]*"|[\p{L}\p{N}_.\-/]+|[^\s]/gu)) {
    if (from === 'code' && t.startsWith('${')) out.push({ text: t, wild: true });
    else if (from === 'doc' && (t === '…' || /^".*"$/.test(t))) out.push({ text: t, wild: true });
    else if (from === 'doc' && /\d|\./.test(t)) out.push({ text: t, wild: false, free: true });
    else out.push({ text: t.replace(/^"|"$/g, ''), wild: false });
  }
  return out;
}

/**
 * How many of the doc's plain words a code message matches word for word when the doc's tokens are
 * read as a stretch of it (wildcards on both sides); -1 when they cannot be. A wildcard may stand
 * for words, so the caller asks for most words to match literally.
 */
function literalMatch(doc: Token[], code: Token[]): number {
  const memo = new Map<string, number>();
  const go = (i: number, j: number): number => {
    if (i === doc.length) return 0;
    if (j === code.length) return -1;
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const d = doc[i]!;
    const c = code[j]!;
    const options: number[] = [];
    const then = (n: number, gain: number) => (n < 0 ? -1 : n + gain);
    if (c.wild) options.push(go(i + 1, j + 1), go(i + 1, j), go(i, j + 1));
    else if (d.wild) options.push(go(i + 1, j + 1), go(i, j + 1));
    else if (d.text === c.text) options.push(then(go(i + 1, j + 1), d.free ? 0 : 1));
    else if (d.free) options.push(go(i + 1, j + 1), go(i + 1, j));
    const best = Math.max(-1, ...options);
    memo.set(key, best);
    return best;
  };
  let best = -1;
  for (let j = 0; j < code.length; j++) best = Math.max(best, go(0, j));
  return best;
}

test('every message the troubleshooting guide quotes is one the code can produce', () => {
  const guide = docs.find((d) => d.rel === 'docs/troubleshooting.md')!;
  const quotes = guide.text
    .split('\n')
    .filter((l) => l.startsWith('| '))
    .flatMap((l) => [...(l.split('|')[1] ?? '').matchAll(/`([^`]*)`/g)].map((m) => m[1]!).filter((q) => q.length >= 12));
  assert.ok(quotes.length >= 8, `the guide quotes messages (${quotes.length} found)`);
  // String literals file by file, whole-line comments left out (their backticks would pair wrongly).
  const messages = sourceFiles.flatMap((f) => {
    const code = readFileSync(f, 'utf8').replace(/^\s*(\/\/|\*|\/\*\*?|#).*$/gm, '');
    return [...code.matchAll(/`(?:[^`\\]|\\.)*`|'(?:[^'\\\n]|\\.){2,}'|"(?:[^"\\\n]|\\.){2,}"/g)].map((m) => tokens(m[0].slice(1, -1), 'code'));
  });
  const wordsOf = (doc: Token[]) => doc.filter((t) => !t.wild && !t.free && /\p{L}/u.test(t.text)).length;
  const producible = (doc: Token[]): boolean => {
    const need = Math.max(1, Math.ceil(wordsOf(doc) * 0.6));
    if (messages.some((code) => literalMatch(doc, code) >= need)) return true;
    // A message assembled from pieces ("Configuration is invalid:" + a field's problem): split at punctuation.
    for (let k = 1; k < doc.length; k++) {
      if (!/^[:,;(]$/.test(doc[k]!.text)) continue;
      for (const [a, b] of [[doc.slice(0, k + 1), doc.slice(k + 1)], [doc.slice(0, k), doc.slice(k)]] as const) {
        if (wordsOf(a) > 0 && wordsOf(b) > 0 && producible(a) && producible(b)) return true;
      }
    }
    return false;
  };
  // Quotes of three words or more are messages; shorter ones are codes (`rate_limited`).
  const unknown = quotes.filter((q) => wordsOf(tokens(q, 'doc')) >= 3 && !producible(tokens(q, 'doc')));
  assert.deepEqual(unknown, [], 'quoted in docs/troubleshooting.md but produced nowhere in the code');
});
