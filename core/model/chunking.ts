// Splits a page's blocks, section by section, into the chunks the model is asked about: each
// chunk's prompt fits the token budget and holds no more requirement blocks than one answer can
// cite, so every requirement in a chunk can be cited by some story of that request. A block longer
// than the budget on its own is given in parts (each its own alias, all citing that block).

import type { SpecBlock, SpecDocument } from '../spec/types.ts';
import { splitLongText } from './prompts.ts';
import type { AliasedBlock } from './prompts.ts';

export interface Chunk {
  headingPath: string[];
  sectionId: string;
  blocks: AliasedBlock[];
}

export interface ChunkLimits {
  /** Largest prompt text per chunk, in tokens. */
  promptTokens: number;
  /** Most blocks per chunk (requirement or not). */
  maxBlocks: number;
  /** Most requirement blocks per chunk: what one answer can cite. */
  maxRequirements: number;
}

/** Block kinds that are references or media rather than text to break down. */
export const SKIPPED_KINDS = new Set<SpecBlock['kind']>(['image', 'jiraIssue']);

/**
 * Builds the chunks for the given block ids. `countTokens` is the model's exact count;
 * text of a block split in parts is measured with the block's own tokens-per-character ratio.
 */
export async function buildChunks(
  doc: SpecDocument,
  blockIds: readonly string[],
  limits: ChunkLimits,
  countTokens: (text: string) => Promise<number>,
  warnings: string[],
): Promise<Chunk[]> {
  const wanted = new Set(blockIds);
  const budget = Math.max(32, limits.promptTokens);
  const out: Chunk[] = [];
  const byId = new Map(doc.blocks.map((b) => [b.id, b]));
  for (const section of doc.sections) {
    const blocks = section.blockIds.map((id) => byId.get(id)).filter((b): b is SpecBlock => !!b && wanted.has(b.id));
    let current: AliasedBlock[] = [];
    let tokens = 0;
    let requirements = 0;
    const flush = (): void => {
      if (current.length) out.push({ headingPath: section.headingPath.length ? section.headingPath : [section.title], sectionId: section.id, blocks: current });
      current = [];
      tokens = 0;
      requirements = 0;
    };
    const add = (entry: Omit<AliasedBlock, 'alias'>, t: number): void => {
      const isRequirement = entry.block.tags.length > 0 ? 1 : 0;
      if (current.length && (tokens + t > budget || current.length >= limits.maxBlocks || requirements + isRequirement > limits.maxRequirements)) flush();
      current.push({ alias: `b${current.length + 1}`, ...entry });
      tokens += t;
      requirements += isRequirement;
    };
    for (const block of blocks) {
      // The alias, kind and requirement label take a few tokens of their own.
      const own = await countTokens(block.text);
      const t = own + 8;
      if (t <= budget) {
        add({ block }, t);
        continue;
      }
      // Measured on the block itself, with a margin: the parts are cut where this estimate says.
      const perChar = (own / Math.max(1, block.text.length)) * 1.15;
      const estimate = (s: string): number => Math.ceil(s.length * perChar);
      const parts = splitLongText(block.text, budget - 16, estimate);
      warnings.push(`Block ${block.id} is longer than one request to the model can hold (${t} tokens, ${budget} per request); the model read it in ${parts.length} parts, so check that its items cover all of it.`);
      for (const [i, text] of parts.entries()) add({ block, part: { text, index: i + 1, of: parts.length } }, estimate(text) + 16);
    }
    flush();
  }
  return out;
}
