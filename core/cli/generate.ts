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
import type { BreakdownEngine } from '../model/types.ts';
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
export async function generateBreakdown(doc: SpecDocument, engine?: BreakdownEngine): Promise<Breakdown> {
  return engine ? engine.generate(doc) : draftBreakdown(doc);
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
  [other: string]: unknown;
}

export interface GenerateDeps {
  stdin?: NodeJS.ReadableStream;
  write?: (text: string) => void;
  /** Turns the command's options into a model engine (e.g. for `--model`); none means the drafter. */
  resolveEngine?: (options: Record<string, unknown>) => Promise<BreakdownEngine | undefined>;
}

export function registerGenerate(program: Command, deps: GenerateDeps = {}): Command {
  const stdin = deps.stdin ?? process.stdin;
  const write = deps.write ?? ((t: string) => void process.stdout.write(t));
  return program
    .command('generate')
    .description('Break a specification page down into epics, stories and sub-tasks, with a coverage and quality report')
    .argument('<file>', 'page file (Confluence storage XHTML, Markdown or text), or - for stdin')
    .addOption(new Option('--format <format>', 'input format (default: from the file extension: .md markdown, .txt text, else storage)').choices(FORMATS))
    .option('--title <title>', 'page title (default: the first h1, else the file name)')
    .addOption(new Option('--json', 'print { breakdown, report } as JSON').conflicts('markdown'))
    .addOption(new Option('--markdown', 'print the breakdown and report as Markdown').conflicts('json'))
    .action(async (file: string, options: GenerateOptions) => {
      const format = options.format ?? (file === '-' ? 'storage' : guessFormat(file));
      const data = await readInput(file, stdin);
      let doc = parseInput(data, format, options.title);
      // A page without an h1 is better named after its file than "Untitled page".
      if (options.title === undefined && file !== '-' && !doc.sections.some((s) => s.level === 1)) {
        doc = { ...doc, title: basename(file).replace(/\.[^.]+$/, '') };
      }
      const engine = await deps.resolveEngine?.(options);
      try {
        const breakdown = await generateBreakdown(doc, engine);
        const report = checkBreakdown(doc, breakdown);
        write(renderOutput({ breakdown, report }, options.json ? 'json' : options.markdown ? 'markdown' : 'text'));
      } finally {
        await engine?.dispose();
      }
    });
}
