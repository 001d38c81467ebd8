// The models folder: which GGUF files are there, importing one from elsewhere on disk, deleting one.
// Every path is checked to stay inside the folder, and every file is validated as GGUF
// (readGgufFileInfo) before it is accepted, so a bad file is refused here rather than at load time.

import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';

export type ModelErrorCode = 'outside_folder' | 'not_found' | 'not_gguf' | 'corrupt' | 'exists' | 'unreachable' | 'download_failed' | 'cancelled' | 'timed_out' | 'in_use' | 'size_mismatch' | 'load_failed' | 'busy';

/** A model operation that failed, with a message a person can act on. */
export class ModelError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

export interface GgufSummary {
  architecture: string;
  name?: string;
  /** Model's trained context length, when the file says so. */
  contextLength?: number;
  /** Transformer blocks (layers), when the file says so. */
  blockCount?: number;
  tensorCount: number;
}

export interface StoredModel extends Partial<GgufSummary> {
  fileName: string;
  path: string;
  sizeBytes: number;
  /** Set when the file is not a usable GGUF model. */
  error?: string;
}

/** Reads and checks a GGUF header; throws ModelError (missing / not GGUF / corrupt) with the file named. */
export async function inspectGguf(path: string): Promise<GgufSummary> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new ModelError('not_found', `${path} is not a file.`);
    size = s.size;
  } catch (err) {
    if (err instanceof ModelError) throw err;
    throw new ModelError('not_found', `Model file not found: ${path}. Check the path, or download or import a model again.`);
  }
  // Loaded on first use: the backend with the drafter never needs the model runtime in memory.
  const { GgmlType, readGgufFileInfo } = await import('node-llama-cpp');
  let info;
  try {
    info = await readGgufFileInfo(path, { readTensorInfo: true, ignoreKeys: ['tokenizer.ggml.tokens', 'tokenizer.ggml.merges', 'tokenizer.ggml.token_type'] });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/magic|not a (valid )?gguf|invalid.*file/i.test(msg) || size < 4) {
      // The parser's message may quote the file's first bytes: never pass it on.
      throw new ModelError('not_gguf', `${basename(path)} is not a GGUF model file. Choose a .gguf file such as ${'Qwen2.5-7B-Instruct-Q4_K_M.gguf'}.`);
    }
    throw new ModelError('corrupt', `${basename(path)} is damaged or incomplete (its GGUF header cannot be read). Download or import it again.`);
  }
  const tensorCount = info.tensorInfo?.length ?? 0;
  if (tensorCount === 0 || !info.metadata.general?.architecture) {
    throw new ModelError('corrupt', `${basename(path)} has a GGUF header but no model in it (no architecture or tensors). Download or import it again.`);
  }
  // A truncated file still has a readable header: check the last tensor's data lies within the file.
  const last = info.tensorInfo?.at(-1);
  if (last) {
    const elements = last.dimensions.reduce<number>((a, d) => a * Number(d), 1);
    const bytesPerElement = last.ggmlType === GgmlType.F32 ? 4 : last.ggmlType === GgmlType.F16 ? 2 : 0;
    const dataEnd = Number(last.fileOffset) + elements * bytesPerElement;
    if (dataEnd > size || Number(last.fileOffset) >= size) {
      throw new ModelError('corrupt', `${basename(path)} is truncated (${size} bytes, but its tensor data runs past the end). Download or import it again.`);
    }
  }
  const arch = String(info.metadata.general?.architecture ?? 'unknown');
  const ctxKey = (info.metadata as unknown as Record<string, { context_length?: number; block_count?: number } | undefined>)[arch];
  return {
    architecture: arch,
    name: info.metadata.general?.name,
    contextLength: ctxKey?.context_length,
    blockCount: ctxKey?.block_count,
    tensorCount,
  };
}

/** The models folder, passed in (the data folder's `models/`). */
export class ModelStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Resolves a file name or path to an absolute path inside the folder, or throws 'outside_folder'. */
  pathFor(nameOrPath: string): string {
    const full = isAbsolute(nameOrPath) ? resolve(nameOrPath) : resolve(this.dir, nameOrPath);
    const rel = relative(this.dir, full);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new ModelError('outside_folder', `Refused: ${nameOrPath} is outside the models folder ${this.dir}.`);
    }
    return full;
  }

  async list(): Promise<StoredModel[]> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((n) => n.toLowerCase().endsWith('.gguf')).sort();
    const out: StoredModel[] = [];
    for (const fileName of names) {
      const path = join(this.dir, fileName);
      const sizeBytes = (await stat(path)).size;
      try {
        out.push({ fileName, path, sizeBytes, ...(await inspectGguf(path)) });
      } catch (err) {
        out.push({ fileName, path, sizeBytes, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return out;
  }

  /**
   * Brings an existing GGUF file into the folder (copy by default, or move). The file is validated
   * first and written under a temporary name, so a half-copied file is never listed as a model.
   */
  async import(sourcePath: string, options: { mode?: 'copy' | 'move'; fileName?: string } = {}): Promise<StoredModel> {
    const summary = await inspectGguf(sourcePath);
    const fileName = options.fileName ?? basename(sourcePath);
    if (!fileName.toLowerCase().endsWith('.gguf')) {
      throw new ModelError('not_gguf', `Model files must end in .gguf (got ${fileName}).`);
    }
    const target = this.pathFor(fileName);
    await mkdir(this.dir, { recursive: true });
    if (await exists(target)) throw new ModelError('exists', `A model named ${fileName} is already in the models folder; delete it first or import under another name.`);
    const tmp = `${target}.importing`;
    if (options.mode === 'move') {
      try {
        await rename(resolve(sourcePath), target);
      } catch {
        // Different file systems: copy, then remove the original.
        await copyFile(sourcePath, tmp);
        await rename(tmp, target);
        await rm(sourcePath);
      }
    } else {
      await copyFile(sourcePath, tmp);
      await rename(tmp, target);
    }
    return { fileName, path: target, sizeBytes: (await stat(target)).size, ...summary };
  }

  async delete(nameOrPath: string): Promise<void> {
    const path = this.pathFor(nameOrPath);
    if (!(await exists(path))) throw new ModelError('not_found', `No model ${basename(path)} in the models folder.`);
    await rm(path);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
