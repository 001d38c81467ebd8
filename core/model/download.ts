// Downloading a model the admin chose: progress (bytes, speed, ETA), cancellation, resume of a
// partial file, and size + SHA-256 + GGUF verification before the file counts as a model. Nothing
// here runs unless called explicitly.
//
// The transfer is this module's own streaming GET (not a library's parallel chunk downloader), so
// every way a source can misbehave ends as a ModelError for the caller, never as an error that
// escapes and ends the process: a source that ignores Range (the partial file starts over), closes
// mid-stream (the partial file is kept for a resume), or sends another length than it announced.
//
// Where a model may come from: https only, from hosts on an allow-list (Hugging Face's, plus those
// the admin adds, which may be an internal mirror), on the default port; a redirect may lead to
// another https host but never to a loopback, private or link-local address. Errors name the host, not what a connection attempt
// found out about other hosts or ports. Tests reach a loopback host only through a fetch function
// wrapped by allowLoopbackForTests(), which no configuration value can produce.
//
// The SHA-256 is the one the caller gives, else the one the source announces: Hugging Face sends
// the LFS object's hash as X-Linked-ETag on the resolve response (the redirect to its CDN), so the
// reachability check follows redirects itself to see it.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { mkdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { inspectGguf, ModelError } from './modelStore.ts';
import type { ModelStore, StoredModel } from './modelStore.ts';
import type { StatusHub } from './statusHub.ts';
import type { ModelStatus } from './types.ts';

export interface DownloadProgress {
  fileName: string;
  downloadedBytes: number;
  totalBytes: number;
  percent: number;
  bytesPerSecond: number;
  /** Seconds left at the current speed; Infinity until a speed has been measured. */
  etaSeconds: number;
}

export interface DownloadRequest {
  /** node-llama-cpp URI (`hf:owner/repo/file.gguf`) or an http(s) URL. */
  source: string;
  /** File name inside the models folder (default: the source's last path segment). */
  fileName?: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Collaborator for the reachability check (default: global fetch). */
  fetch?: typeof fetch;
  /** How long the reachability check may take. */
  reachTimeoutMs?: number;
  /** A download without progress for this long is stopped as stalled. */
  stallTimeoutMs?: number;
  /** Hugging Face access token for gated repositories (never logged). */
  hfToken?: string;
  /** Where downloads may come from beyond the default allow-list. */
  policy?: DownloadPolicyOptions;
  /** Expected SHA-256 of the file (hex). Without it, the hash the source announces is checked, if it announces one. */
  sha256?: string;
  /**
   * Model status to show the download in ('downloading' with percent, speed, ETA). Afterwards the
   * status is `settle()` when given, else the previous status returns (a failure shows as 'error'
   * only when no model was loaded before).
   */
  status?: StatusHub;
  /**
   * The status once the download has ended (done, cancelled or failed). An engine whose model was
   * loaded or unloaded during the download knows its state better than the status captured before.
   */
  settle?: () => ModelStatus;
}

/** The https URL a source resolves to, for the reachability check. */
export function sourceUrl(source: string): string {
  if (/^https?:\/\//i.test(source)) return source;
  const m = /^hf:([^/]+)\/([^/:]+)\/(.+)$/.exec(source);
  if (m) return `https://huggingface.co/${m[1]}/${m[2]}/resolve/main/${m[3]}`;
  throw new ModelError('download_failed', `Unsupported model source "${source}": use hf:owner/repo/file.gguf or an http(s) URL.`);
}

function defaultFileName(source: string): string {
  const last = source.split(/[/:]/).filter(Boolean).at(-1) ?? 'model.gguf';
  return last.toLowerCase().endsWith('.gguf') ? last : `${last}.gguf`;
}

export async function downloadModel(store: ModelStore, req: DownloadRequest): Promise<StoredModel> {
  const hub = req.status;
  const before = hub?.get();
  try {
    const model = await download(store, {
      ...req,
      onProgress: (p) => {
        hub?.set({
          state: 'downloading',
          model: p.fileName,
          percent: Math.round(p.percent * 10) / 10,
          bytesPerSecond: Math.round(p.bytesPerSecond),
          ...(Number.isFinite(p.etaSeconds) ? { etaSeconds: Math.round(p.etaSeconds) } : {}),
        });
        req.onProgress?.(p);
      },
    });
    if (hub && req.settle) hub.set(req.settle());
    else if (hub && before) hub.set(before);
    return model;
  } catch (err) {
    if (hub && req.settle) hub.set(req.settle());
    else if (hub && before) {
      const cancelled = err instanceof ModelError && err.code === 'cancelled';
      hub.set(before.state === 'absent' && !cancelled ? { state: 'error', message: err instanceof Error ? err.message : String(err) } : before);
    }
    throw err;
  }
}

/** Hugging Face's hosts: the resolve URLs and the CDNs they redirect to. */
export const DEFAULT_DOWNLOAD_HOSTS: readonly string[] = ['huggingface.co', 'hf.co'];

const loopbackFetches = new WeakSet<object>();

/**
 * Tests only: a fetch that may download from a loopback http host. The allowance lives on this
 * function object, so no setting, environment variable or request body can switch it on.
 */
export function allowLoopbackForTests(fetchImpl: typeof fetch = fetch): typeof fetch {
  const wrapped: typeof fetch = (input, init) => fetchImpl(input, init);
  loopbackFetches.add(wrapped);
  return wrapped;
}

/** Whether an address is loopback, private, link-local or otherwise not on the public internet. */
export function isNonPublicAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return isNonPublicAddress(mapped[1]!);
  if (isIP(ip) === 4) {
    const [a = 0, b = 0] = ip.split('.').map(Number);
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224;
  }
  const x = ip.toLowerCase();
  return x === '::' || x === '::1' || /^f[cd]/.test(x) || /^fe[89ab]/.test(x) || /^ff/.test(x);
}

/** A host is allowed when it is, or is a subdomain of, an allow-listed name. */
const hostAllowed = (host: string, allowed: readonly string[]): boolean => allowed.some((h) => host === h || host.endsWith(`.${h}`));

export interface DownloadPolicyOptions {
  /** Hosts the admin added to the allow-list (the Hugging Face hosts are always on it). */
  extraHosts?: readonly string[];
  /** How names are resolved for the redirect check (tests). */
  resolve?: (host: string) => Promise<string[]>;
}

/**
 * Checks one URL of a download: the source itself (https, allow-listed host, default port) or a
 * redirect target (https, any public host). Throws a ModelError that names the rule, not the network.
 */
async function checkUrl(url: URL, kind: 'source' | 'redirect', req: DownloadRequest, fetchImpl: typeof fetch): Promise<void> {
  if (loopbackFetches.has(fetchImpl) && (url.hostname === '127.0.0.1' || url.hostname === 'localhost') && (url.protocol === 'http:' || url.protocol === 'https:')) return;
  if (url.protocol !== 'https:') {
    throw new ModelError('download_failed', kind === 'source' ? `Models are downloaded over https only; ${url.protocol}// URLs are refused. Use an https:// URL, or import a file you already have.` : `The model source redirected to a non-https address; the download was stopped.`);
  }
  if (url.username || url.password) throw new ModelError('download_failed', 'A download URL must not carry a user name or password.');
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (kind === 'source') {
    const allowed = [...DEFAULT_DOWNLOAD_HOSTS, ...(req.policy?.extraHosts ?? [])];
    if (isIP(host) || !hostAllowed(host, allowed) || (url.port !== '' && url.port !== '443')) {
      throw new ModelError(
        'download_failed',
        `Downloads are allowed from ${allowed.join(', ')} (on the https port) only; ${host} is not on that list. An admin can add a host with SPEC2TICKETS_MODEL_DOWNLOAD_HOSTS, or import the file instead.`,
      );
    }
  }
  // The source is the admin's choice (an allow-listed host, possibly an internal mirror); where it
  // redirects is not, so a redirect must lead to the public internet.
  if (kind === 'source') return;
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await (req.policy?.resolve ?? (async (h: string) => (await lookup(h, { all: true })).map((a) => a.address)))(host);
    } catch {
      throw new ModelError('unreachable', `Cannot resolve ${host} to download the model. Check the network or proxy, or import a model file you already have.`);
    }
  }
  if (addresses.length === 0 || addresses.some(isNonPublicAddress)) {
    throw new ModelError('download_failed', `The model source redirected to ${host}, which is not a public internet address; a download is never sent on to this machine or the local network. Import the file instead.`);
  }
}

/** Partial downloads are kept beside the target under this suffix until complete. */
export const PARTIAL_SUFFIX = '.part';

async function download(store: ModelStore, req: DownloadRequest): Promise<StoredModel> {
  const url = sourceUrl(req.source);
  const fileName = req.fileName ?? defaultFileName(req.source);
  const target = store.pathFor(fileName);
  const partial = `${target}${PARTIAL_SUFFIX}`;
  const doFetch = req.fetch ?? fetch;
  const headers: Record<string, string> = req.hfToken ? { authorization: `Bearer ${req.hfToken}` } : {};
  const cancelled = (): ModelError => new ModelError('cancelled', `Download of ${fileName} cancelled; the partial file is kept and the next download resumes it.`);
  const origin = new URL(url).origin;

  // Reachability: one ranged GET for the first byte, with a short timeout; redirects are followed
  // here (each one checked) so that a hash announced on the way is seen, and the file's final
  // address is what the download then asks for.
  let announced: string | undefined;
  let final = new URL(url);
  await checkUrl(final, 'source', req, doFetch);
  try {
    const signal = AbortSignal.any([AbortSignal.timeout(req.reachTimeoutMs ?? 10_000), ...(req.signal ? [req.signal] : [])]);
    for (let hop = 0; ; hop++) {
      // Credentials go to the source's own origin only, never to where it redirects.
      const sameOrigin = final.origin === origin;
      const res = await doFetch(final, { headers: { ...(sameOrigin ? headers : {}), range: 'bytes=0-0' }, redirect: 'manual', signal });
      await res.body?.cancel().catch(() => undefined);
      announced ??= announcedSha256(res.headers);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        if (hop >= 10) throw new ModelError('unreachable', `The model source ${origin} redirected more than 10 times; check the URL.`);
        final = new URL(location, final);
        await checkUrl(final, 'redirect', req, doFetch);
        continue;
      }
      if (!res.ok) throw new ModelError('unreachable', `The model source answered HTTP ${res.status} for ${url}; check the model name, or that the repository does not need an access token.`);
      break;
    }
  } catch (err) {
    if (err instanceof ModelError) throw err;
    if (req.signal?.aborted) throw cancelled();
    // Only the kind of failure, for the configured source alone: no probing of other hosts or ports.
    const code = (err as { cause?: { code?: string } }).cause?.code;
    const cause = code && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|CERT_\w+|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/.test(code) ? code : err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : 'connection failed';
    throw new ModelError('unreachable', `Cannot reach ${origin} to download ${fileName} (${cause}). Check the network or proxy, or import a model file you already have.`);
  }
  const expected = req.sha256?.trim().toLowerCase() ?? announced;
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) {
    throw new ModelError('download_failed', `"${req.sha256}" is not a SHA-256 hash (64 hexadecimal digits).`);
  }

  // The transfer: resume from the partial file when the source honours Range, else start over.
  const stallMs = req.stallTimeoutMs ?? 120_000;
  const abort = new AbortController();
  let stalled = false;
  let lastProgressAt = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgressAt > stallMs) {
      stalled = true;
      abort.abort();
    }
  }, Math.min(1000, stallMs));
  const signal = AbortSignal.any([abort.signal, ...(req.signal ? [req.signal] : [])]);
  let have = 0;
  try {
    have = (await stat(partial)).size;
  } catch {
    have = 0;
  }
  let total = 0;
  const startedAt = performance.now();
  let fetchedNow = 0;
  let lastReport = 0;
  const report = (force = false): void => {
    const now = performance.now();
    if (!force && now - lastReport < 100) return;
    lastReport = now;
    const seconds = (now - startedAt) / 1000;
    const speed = seconds > 0 ? fetchedNow / seconds : 0;
    const done = have + fetchedNow;
    req.onProgress?.({
      fileName,
      downloadedBytes: done,
      totalBytes: total,
      percent: total ? Math.min(100, (100 * done) / total) : 0,
      bytesPerSecond: speed,
      etaSeconds: total > 0 && done >= total ? 0 : speed > 0 ? Math.max(0, total - done) / speed : Infinity,
    });
  };
  try {
    const sameOrigin = final.origin === origin;
    const res = await doFetch(final, { headers: { ...(sameOrigin ? headers : {}), ...(have > 0 ? { range: `bytes=${have}-` } : {}) }, redirect: 'manual', signal });
    const length = Number(res.headers.get('content-length') ?? NaN);
    if (res.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (!m || Number(m[1]) !== have) {
        // A range other than the one asked for: start over rather than splice the wrong bytes.
        await res.body?.cancel().catch(() => undefined);
        await rm(partial, { force: true });
        throw new ModelError('download_failed', `The model source sent another part of ${fileName} than asked for; the partial file was removed. Try again.`);
      }
      total = m[3] === '*' ? (Number.isFinite(length) ? have + length : 0) : Number(m[3]);
    } else if (res.status === 200) {
      // The source ignores Range (or this is the first request): the whole file, from the start.
      if (have > 0) await truncate(partial, 0).catch(() => undefined);
      have = 0;
      total = Number.isFinite(length) ? length : 0;
    } else if (res.status === 416 && have > 0) {
      await res.body?.cancel().catch(() => undefined);
      await rm(partial, { force: true });
      throw new ModelError('download_failed', `The model source refused to resume ${fileName}; the partial file was removed. Try again to download it from the start.`);
    } else {
      await res.body?.cancel().catch(() => undefined);
      throw new ModelError('download_failed', `The model source answered HTTP ${res.status} while sending ${fileName}. Try again to resume.`);
    }
    if (!res.body) throw new ModelError('download_failed', `The model source sent no data for ${fileName}. Try again.`);
    report(true);
    await mkdir(store.dir, { recursive: true });
    const out = createWriteStream(partial, { flags: have > 0 ? 'a' : 'w', mode: 0o600 });
    const outError = new Promise<never>((_, reject) => out.once('error', reject));
    outError.catch(() => undefined);
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        lastProgressAt = Date.now();
        fetchedNow += chunk.length;
        if (total > 0 && have + fetchedNow > total) {
          throw new ModelError('size_mismatch', `The model source sent more of ${fileName} than the ${total} bytes it announced; the download was stopped. Try again.`);
        }
        if (!out.write(chunk)) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), outError]);
        report();
      }
    } finally {
      await new Promise<void>((resolve) => out.end(() => resolve()));
    }
    report(true);
  } catch (err) {
    if (req.signal?.aborted) throw cancelled();
    if (stalled) throw new ModelError('download_failed', `Download of ${fileName} stalled (no data for ${Math.round(stallMs / 1000)} s); try again to resume.`);
    if (err instanceof ModelError) throw err;
    const got = have + fetchedNow;
    throw new ModelError('download_failed', `Download of ${fileName} was interrupted after ${got} of ${total || 'an unknown number of'} bytes (the source closed the connection). Try again to resume.`);
  } finally {
    clearInterval(watchdog);
  }
  if (req.signal?.aborted) throw cancelled();

  const size = (await stat(partial)).size;
  if (total && size !== total) {
    throw new ModelError('size_mismatch', `Downloaded ${fileName} is ${size} bytes but the source announced ${total}; try again to resume.`);
  }
  if (expected) {
    const actual = await sha256Of(partial);
    if (actual !== expected) {
      // A file that is not what the source published must not show up as an installed model.
      await rm(partial, { force: true });
      throw new ModelError(
        'corrupt',
        `Downloaded ${fileName} does not match its SHA-256 ${req.sha256 ? 'given for the download' : 'announced by the source'} (expected ${expected}, got ${actual}); the file was removed. Download it again.`,
      );
    }
  }
  let summary;
  try {
    summary = await inspectGguf(partial);
  } catch (err) {
    await rm(partial, { force: true });
    if (err instanceof ModelError) {
      throw new ModelError(
        err.code,
        err.code === 'not_gguf' ? `${fileName} is not a GGUF model file; the download was removed. Check that the URL points at a .gguf file.` : `Downloaded ${fileName} is not a usable model (damaged or incomplete); the file was removed. Download it again.`,
      );
    }
    throw err;
  }
  await rename(partial, target);
  return { fileName, path: target, sizeBytes: size, ...summary };
}

/** The SHA-256 a response announces for the file: Hugging Face's X-Linked-ETag of an LFS object. */
export function announcedSha256(headers: Headers): string | undefined {
  const value = headers.get('x-linked-etag')?.trim().replace(/^W\//, '').replaceAll('"', '').toLowerCase();
  return value && /^[0-9a-f]{64}$/.test(value) ? value : undefined;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
