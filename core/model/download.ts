// Downloading a model the admin chose, with node-llama-cpp's downloader: progress (bytes, speed,
// ETA), cancellation, resume of a partial file, and size + SHA-256 + GGUF verification before the
// file counts as a model. Nothing here runs unless called explicitly.
//
// The SHA-256 is the one the caller gives, else the one the source announces: Hugging Face sends
// the LFS object's hash as X-Linked-ETag on the resolve response (the redirect to its CDN), so the
// reachability check follows redirects itself to see it.
//
// node-llama-cpp's downloader retries an unreachable source for a long time, so a short reachability
// check runs first (clear "cannot reach" error in seconds) and a stall watchdog ends a download that
// makes no progress.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
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

async function download(store: ModelStore, req: DownloadRequest): Promise<StoredModel> {
  const url = sourceUrl(req.source);
  const fileName = req.fileName ?? defaultFileName(req.source);
  const target = store.pathFor(fileName);
  const doFetch = req.fetch ?? fetch;
  const headers: Record<string, string> = req.hfToken ? { authorization: `Bearer ${req.hfToken}` } : {};

  // Reachability: one ranged GET for the first byte, with a short timeout; redirects are followed
  // here so that a hash announced on the way is seen.
  let announced: string | undefined;
  try {
    const signal = AbortSignal.any([AbortSignal.timeout(req.reachTimeoutMs ?? 10_000), ...(req.signal ? [req.signal] : [])]);
    let at = new URL(url);
    for (let hop = 0; ; hop++) {
      // Credentials go to the source's own origin only, never to where it redirects.
      const sameOrigin = at.origin === new URL(url).origin;
      const res = await doFetch(at, { headers: { ...(sameOrigin ? headers : {}), range: 'bytes=0-0' }, redirect: 'manual', signal });
      await res.body?.cancel();
      announced ??= announcedSha256(res.headers);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location && hop < 10) {
        at = new URL(location, at);
        continue;
      }
      if (!res.ok) throw new ModelError('unreachable', `The model source answered HTTP ${res.status} for ${url}; check the model name, or that the repository does not need an access token.`);
      break;
    }
  } catch (err) {
    if (err instanceof ModelError) throw err;
    if (req.signal?.aborted) throw new ModelError('cancelled', 'Download cancelled.');
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.message : String(err));
    throw new ModelError('unreachable', `Cannot reach ${new URL(url).origin} to download ${fileName} (${cause}). Check the network or proxy, or import a model file you already have.`);
  }
  const expected = req.sha256?.trim().toLowerCase() ?? announced;
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) {
    throw new ModelError('download_failed', `"${req.sha256}" is not a SHA-256 hash (64 hexadecimal digits).`);
  }

  const { createModelDownloader } = await import('node-llama-cpp');
  const downloader = await createModelDownloader({
    modelUrl: url,
    dirPath: store.dir,
    fileName,
    headers,
    skipExisting: false,
    // Keep the partial file on cancel so the next call resumes instead of starting over.
    deleteTempFileOnCancel: false,
    onProgress: (s) => {
      lastProgressAt = Date.now();
      req.onProgress?.({
        fileName,
        downloadedBytes: s.downloadedSize,
        totalBytes: s.totalSize,
        percent: s.totalSize ? Math.min(100, (100 * s.downloadedSize) / s.totalSize) : 0,
        bytesPerSecond: s.averageSpeed,
        // The downloader's own estimate is in milliseconds; this one is in seconds by the same speed.
        etaSeconds: s.totalSize > 0 && s.downloadedSize >= s.totalSize ? 0 : s.averageSpeed > 0 ? Math.max(0, s.totalSize - s.downloadedSize) / s.averageSpeed : Infinity,
      });
    },
  });
  let lastProgressAt = Date.now();
  const stallMs = req.stallTimeoutMs ?? 120_000;
  let stalled = false;
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgressAt > stallMs) {
      stalled = true;
      void downloader.cancel({ deleteTempFile: false });
    }
  }, Math.min(1000, stallMs));
  const onAbort = (): void => void downloader.cancel({ deleteTempFile: false });
  req.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await downloader.download();
  } catch (err) {
    if (req.signal?.aborted) throw new ModelError('cancelled', `Download of ${fileName} cancelled; the partial file is kept and the next download resumes it.`);
    if (stalled) throw new ModelError('download_failed', `Download of ${fileName} stalled (no data for ${Math.round(stallMs / 1000)} s); try again to resume.`);
    throw new ModelError('download_failed', `Download of ${fileName} failed: ${err instanceof Error ? err.message : String(err)}. Try again to resume.`);
  } finally {
    clearInterval(watchdog);
    req.signal?.removeEventListener('abort', onAbort);
  }
  if (req.signal?.aborted) throw new ModelError('cancelled', `Download of ${fileName} cancelled; the partial file is kept and the next download resumes it.`);

  const size = (await stat(target)).size;
  if (downloader.totalSize && size !== downloader.totalSize) {
    throw new ModelError('size_mismatch', `Downloaded ${fileName} is ${size} bytes but the source announced ${downloader.totalSize}; download it again.`);
  }
  if (expected) {
    const actual = await sha256Of(target);
    if (actual !== expected) {
      // A file that is not what the source published must not show up as an installed model.
      await rm(target, { force: true });
      throw new ModelError(
        'corrupt',
        `Downloaded ${fileName} does not match its SHA-256 ${req.sha256 ? 'given for the download' : 'announced by the source'} (expected ${expected}, got ${actual}); the file was removed. Download it again.`,
      );
    }
  }
  const summary = await inspectGguf(target);
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
