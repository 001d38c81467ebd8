// Stories written twice: separate requests (chunks of one long section, or a coverage pass after
// the section pass) can each write a story for the same work. Stories from different chunks that
// cite exactly the same blocks with similar titles, or have near-identical titles citing
// overlapping blocks, are merged (sources and criteria joined, the reviewer told in the notes);
// near-identical titles citing different blocks are only flagged, since they may be two pieces
// of work worded alike.

import type { DraftEpic, DraftStory } from './assemble.ts';

const titleWords = (t: string): Set<string> =>
  new Set(
    t
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .split(' ')
      .filter((w) => w.length > 1),
  );

/** Jaccard similarity of the two titles' word sets (0–1). */
export function titleSimilarity(a: string, b: string): number {
  const x = titleWords(a);
  const y = titleWords(b);
  if (x.size === 0 || y.size === 0) return 0;
  let common = 0;
  for (const w of x) if (y.has(w)) common++;
  return common / (x.size + y.size - common);
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));
const overlaps = (a: readonly string[], b: readonly string[]): boolean => a.some((x) => b.includes(x));

/** Merges or flags duplicates in place; returns how many were merged and flagged. */
export function mergeDuplicateStories(epics: DraftEpic[]): { merged: number; flagged: number } {
  let merged = 0;
  let flagged = 0;
  const kept: { epic: DraftEpic; story: DraftStory }[] = [];
  for (const epic of epics) {
    for (const story of [...epic.stories]) {
      const twin = kept.find(
        (k) =>
          k.story.chunk !== story.chunk &&
          ((sameSet(k.story.sources, story.sources) && titleSimilarity(k.story.story.title, story.story.title) >= 0.5) ||
            (overlaps(k.story.sources, story.sources) && titleSimilarity(k.story.story.title, story.story.title) >= 0.85)),
      );
      if (twin) {
        const into = twin.story;
        into.sources = [...new Set([...into.sources, ...story.sources])];
        into.story = { ...into.story, ac: [...new Set([...into.story.ac, ...story.story.ac])] };
        into.notes = [into.notes, `Merged with "${story.story.title}", written for another part of the page.`].filter(Boolean).join(' ');
        // Stories that waited for the merged one now wait for the one kept.
        for (const e of epics) for (const s of e.stories) s.dependsOn = s.dependsOn?.map((r) => (r.story === story ? twin : r));
        epic.stories.splice(epic.stories.indexOf(story), 1);
        merged++;
        continue;
      }
      const alike = kept.find((k) => k.story.chunk !== story.chunk && titleSimilarity(k.story.story.title, story.story.title) >= 0.85);
      if (alike) {
        story.notes = [story.notes, `Possible duplicate of "${alike.story.story.title}" (near-identical title, other blocks).`].filter(Boolean).join(' ');
        flagged++;
      }
      kept.push({ epic, story });
    }
  }
  return { merged, flagged };
}
