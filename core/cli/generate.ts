// `spec2tickets generate`: read a page from a file or stdin, parse it, break it down (drafter, or a
// model engine when one is given), check the result and print it as text, JSON or Markdown.

import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { parseSpec } from '../spec/index.ts';
import { SpecInputError } from '../spec/types.ts';
import type { SpecDocument, SpecFormat } from '../spec/types.ts';
import type { Breakdown } from '../breakdown/schema.ts';
import type { BreakdownEngine, GenerateOptions as EngineGenerateOptions } from '../model/types.ts';
import { draftBreakdown } from '../drafter/draftBreakdown.ts';
import { checkBreakdown } from '../breakdown/checkBreakdown.ts';
import type { BreakdownReport } from '../breakdown/checkBreakdown.ts';
import { renderBreakdownMarkdown, renderBreakdownText, renderReportText } from '../breakdown/render.ts';

/** Input the user can fix (missing file, binary data, empty page): exit code 2, message only. */
export class CliInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliInputError';
  }
}

/** Refuse absurd inputs before reading them into memory; the parser applies its own page limit. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

export const FORMATS = ['storage', 'markdown', 'text'] as const satisfies readonly SpecFormat[];

export function guessFormat(path: string): SpecFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.md' || ext === '.markdown') return 'markdown';
  if (ext === '.txt' || ext === '.text') return 'text';
  return 'storage';
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    size += buf.length;
    if (size > MAX_INPUT_BYTES) throw new CliInputError(`The input is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB; this is not a single page.`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** The bytes of `source` ("-" = stdin), or a CliInputError saying why they cannot be read. */
export async function readInput(source: string, stdin: NodeJS.ReadableStream): Promise<Uint8Array> {
  if (source === '-') return readStream(stdin);
  try {
    const data = await readFile(source);
    if (data.length > MAX_INPUT_BYTES) throw new CliInputError(`${source} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB; this is not a single page.`);
    return data;
  } catch (e) {
    if (e instanceof CliInputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new CliInputError(`Cannot read ${source}: ${why}.`);
  }
}

/** Parses page bytes into a document; parse failures and empty pages become CliInputErrors. */
export function parseInput(data: Uint8Array, format: SpecFormat, title?: string): SpecDocument {
  let doc: SpecDocument;
  try {
    doc = parseSpec(data, title === undefined ? { format } : { format, title });
  } catch (e) {
    if (e instanceof SpecInputError) throw new CliInputError(e.message);
    throw e;
  }
  if (doc.blocks.length === 0) throw new CliInputError('The page has no content to break down.');
  return doc;
}

/**
 * The breakdown for a document: the model engine's when one is given, otherwise the drafter's.
 * This is the seam for `--model`: resolve an engine and pass it here.
 */
export async function generateBreakdown(doc: SpecDocument, engine?: BreakdownEngine, options?: EngineGenerateOptions): Promise<Breakdown> {
  return engine ? engine.generate(doc, options) : draftBreakdown(doc);
}

/** What `--model` needs to open an engine: the file, how to load it, and where progress goes. */
export interface ModelEngineRequest {
  modelPath: string;
  contextSize?: number;
  threads?: number;
  progress: (text: string) => void;
}

const positive = (value: string | undefined, flag: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliInputError(`${flag} must be a whole number above 0 (got "${value}").`);
  return n;
};

/**
 * Opens Qwen on the local runtime for one run, printing load progress. A model that cannot load is
 * a CliInputError (exit 2) saying why and how to go on without it. The runtime is imported here so
 * runs without --model never load it.
 */
export async function openModelEngine(req: ModelEngineRequest): Promise<BreakdownEngine> {
  const { SwitchableEngine } = await import('../model/switchableEngine.ts');
  const engine = new SwitchableEngine({ llama: { load: { contextSize: req.contextSize, threads: req.threads } } });
  let lastTenth = -1;
  const off = engine.onStatus((s) => {
    if (s.state === 'loading' && Math.floor(s.percent / 10) !== lastTenth) {
      lastTenth = Math.floor(s.percent / 10);
      req.progress(`Loading ${s.model}: ${s.percent}%\n`);
    } else if (s.state === 'ready') {
      req.progress(`Model ready: ${s.model} (${s.gpu || 'CPU'})${s.note ? `; ${s.note}` : ''}\n`);
    }
  });
  try {
    await engine.load(req.modelPath);
    return engine;
  } catch (err) {
    await engine.dispose();
    throw new CliInputError(`The model could not be loaded: ${err instanceof Error ? err.message : String(err)} Run without --model to draft the breakdown from the page structure instead.`);
  } finally {
    off();
  }
}

export interface GenerateOutput {
  breakdown: Breakdown;
  report: BreakdownReport;
}

export function renderOutput(out: GenerateOutput, as: 'text' | 'json' | 'markdown'): string {
  if (as === 'json') return `${JSON.stringify(out, null, 2)}\n`;
  if (as === 'markdown') return renderBreakdownMarkdown(out.breakdown, out.report);
  return `${renderBreakdownText(out.breakdown)}\n${renderReportText(out.report)}`;
}

interface GenerateOptions {
  format?: SpecFormat;
  title?: string;
  json?: boolean;
  markdown?: boolean;
  model?: string;
  contextSize?: string;
  threads?: string;
  [other: string]: unknown;
}

export interface GenerateDeps {
  stdin?: NodeJS.ReadableStream;
  write?: (text: string) => void;
  /** Turns the command's options into a model engine (e.g. for `--model`); none means the drafter. */
  resolveEngine?: (options: Record<string, unknown>) => Promise<BreakdownEngine | undefined>;
  /** Where progress goes (model loading, sections); default stderr, so stdout stays the result. */
  progress?: (text: string) => void;
}

export function registerGenerate(program: Command, deps: GenerateDeps = {}): Command {
  const stdin = deps.stdin ?? process.stdin;
  const write = deps.write ?? ((t: string) => void process.stdout.write(t));
  const progress = deps.progress ?? ((t: string) => void process.stderr.write(t));
  const resolveEngine =
    deps.resolveEngine ??
    (async (o: GenerateOptions): Promise<BreakdownEngine | undefined> =>
      o.model
        ? openModelEngine({ modelPath: o.model, contextSize: positive(o.contextSize, '--context-size'), threads: positive(o.threads, '--threads'), progress })
        : undefined);
  return program
    .command('generate')
    .description('Break a specification page down into epics, stories and sub-tasks, with a coverage and quality report')
    .argument('<file>', 'page file (Confluence storage XHTML, Markdown or text), or - for stdin')
    .addOption(new Option('--format <format>', 'input format (default: from the file extension: .md markdown, .txt text, else storage)').choices(FORMATS))
    .option('--title <title>', 'page title (default: the first h1, else the file name)')
    .addOption(new Option('--json', 'print { breakdown, report } as JSON').conflicts('markdown'))
    .addOption(new Option('--markdown', 'print the breakdown and report as Markdown').conflicts('json'))
    .option('--model <file>', 'a Qwen 2.5 .gguf model file to write the breakdown with (default: drafted from the page structure)')
    .option('--context-size <tokens>', 'with --model: context size in tokens (default 8192, capped by the model)')
    .option('--threads <n>', 'with --model: CPU threads for generation (default: cores - 1)')
    .action(async (file: string, options: GenerateOptions) => {
      const format = options.format ?? (file === '-' ? 'storage' : guessFormat(file));
      const data = await readInput(file, stdin);
      let doc = parseInput(data, format, options.title);
      // What the parser could not read as written (capped nesting, broken markup, skipped macros) changes
      // what the breakdown covers, so say it; stderr keeps stdout the result.
      for (const w of doc.warnings) progress(`spec2tickets: page warning (${w.code}): ${w.message}\n`);
      // A page without an h1 is better named after its file than "Untitled page".
      if (options.title === undefined && file !== '-' && !doc.sections.some((s) => s.level === 1)) {
        doc = { ...doc, title: basename(file).replace(/\.[^.]+$/, '') };
      }
      const engine = await resolveEngine(options);
      try {
        const breakdown = await generateBreakdown(
          doc,
          engine,
          engine && {
            onProgress: (p) => {
              if (p.phase === 'outline') progress('Writing the outline (epics)...\n');
              else if (p.phase !== 'done') progress(`${p.phase === 'coverage' ? 'Coverage pass' : 'Section'} ${p.section}/${p.sections} (${p.tokens} tokens so far)\n`);
            },
          },
        );
        const report = checkBreakdown(doc, breakdown);
        write(renderOutput({ breakdown, report }, options.json ? 'json' : options.markdown ? 'markdown' : 'text'));
      } finally {
        await engine?.dispose();
      }
    });
}
