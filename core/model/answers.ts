// Reading the model's answers: zod checks of the compact forms (the grammar guarantees the shape
// only while the answer is complete, and a server may not honour a grammar at all), recovery of
// the complete stories of a cut-off answer, and the checks that send an answer back once: empty,
// looping (repeated word runs, the same sentence in several stories) or in the wrong language.

import { z } from 'zod';
import { PRIORITIES, STORY_POINTS } from '../breakdown/schema.ts';
import { detectLanguage } from '../spec/language.ts';
import { SUBTASK_HOURS } from './outputSchema.ts';
import type { CompactOutline, CompactSection, CompactStory } from './outputSchema.ts';

const text = z.string().transform((s) => s.trim());

export const OutlineAnswer = z.object({
  epics: z.array(z.object({ title: text.pipe(z.string().min(1, 'an epic has an empty title')), summary: text })).min(1, 'no epics'),
});
void (null as unknown as z.output<typeof OutlineAnswer> satisfies CompactOutline);

/** The zod check of a section answer for one chunk: citations only from its aliases, epics in range. */
export function sectionAnswer(aliases: readonly string[], epicCount: number) {
  const alias = z.string().refine((a) => aliases.includes(a), { error: (issue) => `cites ${String(issue.input)}, which is not a block of this part of the page` });
  const story = z.object({
    src: z.array(alias).min(1, 'a story cites no block'),
    epic: z.number().int().min(1).max(Math.max(1, epicCount)),
    title: text.pipe(z.string().min(1, 'a story has an empty title')),
    desc: text,
    ac: z.array(text).transform((a) => a.filter((c) => c.length > 0)),
    priority: z.enum(PRIORITIES),
    points: z.literal([...STORY_POINTS]),
    after: z.array(z.number().int().min(1)).default([]),
    tasks: z
      .array(
        z.object({
          src: z.array(alias).default([]),
          title: text,
          hours: z.literal([...SUBTASK_HOURS]),
        }),
      )
      .transform((t) => t.filter((x) => x.title.length > 0)),
  });
  return z.object({
    stories: z.array(story),
    noStory: z.array(z.object({ block: alias, why: text.pipe(z.string().min(1, 'a block said to need no story has no reason')) })).optional(),
  });
}

/** One line naming what is wrong with a value, for the retry prompt and the reviewer's warning. */
export function describeIssue(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'the answer does not have the requested shape';
  const path = first.path.length ? `${first.path.join('.')}: ` : '';
  return `${path}${first.message}`;
}

/**
 * The complete stories of an answer cut off by the token limit. The grammar makes the text a valid
 * prefix of `{"stories":[{...},{...},{"src":…`; every story object that closed is kept.
 */
export function completeStoriesOfPrefix(prefix: string): unknown[] {
  const start = prefix.indexOf('[', prefix.indexOf('"stories"'));
  if (prefix.indexOf('"stories"') < 0 || start < 0) return [];
  const out: unknown[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let objectStart = -1;
  for (let i = start + 1; i < prefix.length; i++) {
    const ch = prefix[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (depth === 0 && ch === '{') objectStart = i;
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth < 0) break;
      if (depth === 0 && ch === '}' && objectStart >= 0) {
        try {
          out.push(JSON.parse(prefix.slice(objectStart, i + 1)));
        } catch {
          break;
        }
        objectStart = -1;
      }
    }
  }
  return out;
}

const normalise = (s: string): string => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
const words = (s: string): string[] => normalise(s).split(' ').filter(Boolean);

/**
 * Why an answer looks degenerate (a decoding loop rather than content), or undefined: a run of
 * four words repeated three times in one text, or the same sentence of six words or more in
 * several stories.
 */
export function findDegenerate(stories: readonly CompactStory[]): string | undefined {
  for (const s of stories) {
    for (const t of [s.title, s.desc, ...s.ac, ...s.tasks.map((x) => x.title)]) {
      const w = words(t);
      const seen = new Map<string, number>();
      for (let i = 0; i + 4 <= w.length; i++) {
        const gram = w.slice(i, i + 4).join(' ');
        const n = (seen.get(gram) ?? 0) + 1;
        seen.set(gram, n);
        if (n >= 3) return `the words "${gram}" repeat ${n} times in "${t.slice(0, 60)}…"`;
      }
    }
  }
  const owner = new Map<string, number>();
  for (const [i, s] of stories.entries()) {
    for (const sentence of [s.desc, ...s.ac].flatMap((t) => t.split(/(?<=[.!?])\s+/))) {
      const key = normalise(sentence);
      if (key.split(' ').length < 6) continue;
      const first = owner.get(key);
      if (first !== undefined && first !== i) return `the sentence "${sentence.slice(0, 60)}" appears in stories ${first + 1} and ${i + 1}`;
      owner.set(key, i);
    }
  }
  return undefined;
}

/** Languages detectLanguage tells apart reliably enough to send an answer back. */
const CHECKED_LANGUAGES = new Set(['en', 'de', 'fr', 'es', 'nl', 'it', 'pt']);

/**
 * The language the stories are written in when it is clearly not `wanted`, else undefined. Short
 * answers (fewer than 12 words) and languages the detector does not know are never judged.
 */
export function wrongLanguage(stories: readonly CompactStory[], wanted: string): string | undefined {
  const target = wanted.split('-')[0]!.toLowerCase();
  if (!CHECKED_LANGUAGES.has(target)) return undefined;
  const texts = stories.flatMap((s) => [s.title, s.desc, ...s.ac]);
  if (texts.reduce((n, t) => n + words(t).length, 0) < 12) return undefined;
  const found = detectLanguage(texts);
  return found !== 'und' && found !== target && CHECKED_LANGUAGES.has(found) ? found : undefined;
}

export type SectionAnswer = z.infer<ReturnType<typeof sectionAnswer>>;
export type { CompactSection };
