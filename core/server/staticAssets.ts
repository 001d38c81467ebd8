// The built renderer as the admin listener serves it: text files (JS, CSS, HTML, SVG, JSON)
// compressed with Brotli or gzip as the browser accepts, each compressed once and kept in memory
// (the build does not change while the backend runs); files whose name carries a content hash
// (Vite's assets/name-HASH.ext) cached for a year as immutable, everything else revalidated.

import express, { type RequestHandler } from 'express';
import { readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const COMPRESSIBLE: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};
/** Vite names built assets name-HASH.ext, the hash being 8 characters of base64url. */
const HASHED = /[-.][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
const YEAR_SECONDS = 365 * 24 * 3600;

export const cacheControlFor = (path: string): string => (path.startsWith('/assets/') && HASHED.test(path) ? `public, max-age=${YEAR_SECONDS}, immutable` : 'no-cache');

interface Encoded {
  identity: Buffer;
  br: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
}

/** Chooses the encoding the request accepts: Brotli before gzip, neither when refused (q=0). */
export function chooseEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | 'identity' {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
    accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const ok = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  if (ok('br')) return 'br';
  if (ok('gzip')) return 'gzip';
  return 'identity';
}

export function staticAssets(root: string): RequestHandler {
  const cache = new Map<string, Encoded | null>();
  const serveStatic = express.static(root, { index: 'index.html', setHeaders: (res, path) => res.setHeader('Cache-Control', cacheControlFor(`/${path.slice(root.length).split(sep).join('/').replace(/^\/+/, '')}`)) });

  const load = (urlPath: string): Encoded | null => {
    if (cache.has(urlPath)) return cache.get(urlPath)!;
    let result: Encoded | null = null;
    const type = COMPRESSIBLE[extname(urlPath).toLowerCase()];
    const file = normalize(join(root, urlPath));
    if (type && file.startsWith(normalize(root) + sep)) {
      try {
        if (statSync(file).isFile()) {
          const identity = readFileSync(file);
          result = { identity, type, etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`, br: brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } }), gzip: gzipSync(identity, { level: 9 }) };
        }
      } catch {
        result = null;
      }
    }
    cache.set(urlPath, result);
    return result;
  };

  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(req.path === '/' ? '/index.html' : req.path);
    } catch {
      return next();
    }
    const file = load(urlPath);
    if (!file) return serveStatic(req, res, next);
    const encoding = chooseEncoding(req.get('accept-encoding'));
    const body = file[encoding];
    res.setHeader('Content-Type', file.type);
    res.setHeader('Cache-Control', cacheControlFor(urlPath === '/index.html' ? '/' : urlPath));
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('ETag', file.etag);
    if (req.get('if-none-match') === file.etag) return void res.status(304).end();
    if (encoding !== 'identity') res.setHeader('Content-Encoding', encoding);
    res.setHeader('Content-Length', String(body.length));
    res.status(200);
    if (req.method === 'HEAD') res.end();
    else res.end(body);
  };
}
