import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { chooseEncoding, staticAssets } from './staticAssets.ts';

/** A raw GET (fetch would decode the body and hide Content-Encoding). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('renderer files served compressed, hashed ones cached for good', () => {
  const dir = mkdtempSync(join(tmpdir(), 's2t-static-'));
  const js = `export const big = ${JSON.stringify('review workspace '.repeat(2000))};\n`;
  let server: Server;
  let port = 0;
  before(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Spec2Tickets</title><script src="./assets/index-DiKPE1Ge.js"></script>');
    writeFileSync(join(dir, 'assets', 'index-DiKPE1Ge.js'), js);
    writeFileSync(join(dir, 'assets', 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const app = express();
    app.use(staticAssets(dir));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a hashed script is sent with Brotli when accepted, gzip otherwise, and is immutable for a year', async () => {
    const br = await get(port, '/assets/index-DiKPE1Ge.js', { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(br.headers.vary, 'Accept-Encoding');
    assert.ok(br.body.length < js.length / 10, `compressed ${br.body.length} of ${js.length} bytes`);
    assert.equal(brotliDecompressSync(br.body).toString(), js);
    const gz = await get(port, '/assets/index-DiKPE1Ge.js', { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.body).toString(), js);
    const plain = await get(port, '/assets/index-DiKPE1Ge.js', { 'accept-encoding': 'br;q=0, gzip;q=0' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString(), js);
  });

  test('the page itself is revalidated (no-cache) and answers 304 to its ETag; other files are served as they are', async () => {
    const first = await get(port, '/', { 'accept-encoding': 'gzip' });
    assert.equal(first.status, 200);
    assert.equal(first.headers['cache-control'], 'no-cache');
    assert.match(String(first.headers['content-type']), /^text\/html/);
    const again = await get(port, '/', { 'if-none-match': String(first.headers.etag) });
    assert.equal(again.status, 304);
    const png = await get(port, '/assets/logo.png', { 'accept-encoding': 'br' });
    assert.equal(png.status, 200);
    assert.equal(png.headers['content-encoding'], undefined);
    assert.equal(png.headers['cache-control'], 'no-cache', 'a name without a content hash is not cached for good');
    assert.equal((await get(port, '/../package.json')).status, 404);
  });

  test('Accept-Encoding is read with its weights', () => {
    assert.equal(chooseEncoding('gzip, br'), 'br');
    assert.equal(chooseEncoding('br;q=0, gzip'), 'gzip');
    assert.equal(chooseEncoding(undefined), 'identity');
    assert.equal(chooseEncoding('*'), 'br');
  });
});
