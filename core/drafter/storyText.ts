// Turning a requirement's text into the words of a work item without a model: a short title from
// its first sentence, a derived acceptance criterion, a priority from MoSCoW/modal words and a
// size-based estimate. Deliberately plain rules: a reviewer must be able to predict them.

import { LIMITS } from '../breakdown/schema.ts';
import type { Priority } from '../breakdown/schema.ts';
import { ADVISED_TITLE_MAX } from '../breakdown/lintStory.ts';
import { parseStoryForm } from '../breakdown/storyForm.ts';
import type { SpecBlock } from '../spec/types.ts';

/** Cuts text to at most `max` characters at a word boundary, marking the cut with "…". */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.–—-]+$/u, '')}…`;
}

/** Cuts a multi-line text to `max` characters, keeping line breaks. */
export function clipBlock(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

const MODAL_WORD = /\b(must|shall|should|will|needs? to|has to|muss|müssen|soll|sollen|darf|doit|doivent|devra|devront|debe|deben|deberá)\b/i;

/** The sentence that carries the requirement: the first with a modal verb when the block is tagged for one. */
export function keySentence(block: SpecBlock, body: string): string {
  const first = firstSentence(body);
  if (!block.tags.includes('modal') || MODAL_WORD.test(first)) return first;
  const sentences = body.replace(/\s+/g, ' ').split(/(?<=[.!?;])\s+(?=[\p{Lu}\p{N}"“(])/u);
  return sentences.find((x) => MODAL_WORD.test(x))?.trim() ?? first;
}

export function firstSentence(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  const m = /^(.+?[.!?;])\s+(?=[\p{Lu}\p{N}"“(])/u.exec(line.trim());
  return (m ? m[1]! : line).trim();
}

const STATEMENT_HEADER = /requirement|description|statement|target|story|summary|anforderung|beschreibung|exigence|énoncé|requisito|descripci[oó]n/i;
const PRIORITY_HEADER = /priority|priorit[äa]t|priorit[ée]|prioridad|moscow/i;

/** The sentence that states the requirement: a table row's requirement cell, or the block's text. */
export function statementOf(block: SpecBlock): string {
  const cells = (block.cells ?? []).filter((c) => c.text.trim() !== '');
  if (block.kind !== 'tableRow' || cells.length === 0) return block.text.trim();
  const named = cells.find((c) => c.header && STATEMENT_HEADER.test(c.header) && !PRIORITY_HEADER.test(c.header));
  const longest = cells.reduce((a, c) => (c.text.length > a.text.length ? c : a));
  return (named ?? longest).text.trim();
}

/** A table row as one "Header: value" line per cell; other blocks as their text. */
export function fullTextOf(block: SpecBlock): string {
  if (block.kind !== 'tableRow' || !block.cells || block.cells.length === 0) return block.text.trim();
  return block.cells
    .filter((c) => c.text.trim() !== '')
    .map((c) => (c.header ? `${c.header}: ${c.text.trim()}` : c.text.trim()))
    .join('\n');
}

/** The requirement statement without its leading identifier ("FR-001: The system…" → "The system…"). */
export function withoutRequirementId(block: SpecBlock): string {
  const text = statementOf(block);
  if (!block.requirementId) return text;
  const id = block.requirementId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`^[\\[(]?${id}[\\])]?\\s*[:.)\\-–—|]?\\s*`, 'i'), '').trim() || text;
}

const stripBrackets = (s: string): string =>
  s
    .replace(/\s*\([^()]*\)/g, '')
    .replace(/\s*\[[^[\]]*\]/g, '')
    .replace(/[()[\]{}]/g, '')
    .replace(/\s+/g, ' ')
    .trim();

const capitalise = (s: string): string => s.charAt(0).toLocaleUpperCase() + s.slice(1);

/** A one-statement title of at most ADVISED_TITLE_MAX characters, prefixed by the requirement id. */
export function titleFor(block: SpecBlock): string {
  const prefix = block.requirementId ? `${block.requirementId}: ` : '';
  const body = withoutRequirementId(block);
  const form = block.tags.includes('userStory') ? parseStoryForm(body) : undefined;
  let core: string;
  if (form?.role && form.goal) {
    const roleGoal = stripBrackets(firstSentence(body).replace(/\s*,?\s+(so that|damit|afin de|afin que|pour que|para que|para poder)\s.*$/iu, ''));
    core = prefix.length + roleGoal.length <= ADVISED_TITLE_MAX ? roleGoal : capitalise(stripBrackets(form.goal));
  } else {
    core = stripBrackets(keySentence(block, body));
  }
  core = core.replace(/[.;:!]+$/u, '').trim() || clip(block.text, 60);
  return clip(`${prefix}${capitalise(core)}`, ADVISED_TITLE_MAX);
}

const MODAL_RE =
  /^(?<subj>.+?)\s+(?<modal>must not|shall not|should not|will not|cannot|must|shall|should|will|needs to|has to|have to|is required to|are required to)\s+(?<able>be able to\s+)?(?<rest>.+)$/i;

function thirdPerson(verb: string): string {
  const v = verb.toLowerCase();
  if (v === 'be') return 'is';
  if (v === 'have') return 'has';
  if (/(s|sh|ch|x|z|o)$/.test(v)) return `${verb}es`;
  if (/[^aeiou]y$/.test(v)) return `${verb.slice(0, -1)}ies`;
  return `${verb}s`;
}

/** "The system must export X" → "The system exports X."; a user story → "A reviewer can <goal>." */
export function derivedCriterion(block: SpecBlock): string {
  const body = withoutRequirementId(block);
  const form = block.tags.includes('userStory') ? parseStoryForm(body) : undefined;
  if (form?.language === 'en' && form.role && form.goal) {
    const role = /^(a|an|the)\s/i.test(form.role) ? form.role : `${/^[aeiou]/i.test(form.role) ? 'an' : 'a'} ${form.role}`;
    const goal = form.goal.replace(/^be able to\s+/i, '').replace(/[.!]+$/, '');
    return clip(`${capitalise(role)} can ${goal}.`, LIMITS.criterionMax);
  }
  const sentence = keySentence(block, body).replace(/[.;:!]+$/u, '');
  const m = MODAL_RE.exec(sentence);
  // Only a plain subject ("The system", "Users") is rewritten; "Finance asked whether refunds should…" is not a requirement's subject.
  if (m?.groups && !/[,;:]|\b(whether|if|that|which|who|when|because|asked|said)\b/i.test(m.groups.subj!) && m.groups.subj!.split(' ').length <= 6) {
    const { subj, modal, able, rest } = m.groups as { subj: string; modal: string; able?: string; rest: string };
    const negative = /not|cannot/i.test(modal);
    // The head noun comes before any qualifier: "Changes made offline", "The status of orders".
    const head = subj.split(/\s+(?:of|made|for|with|in|on|from|by|to)\s+/i)[0]!;
    const lastWord = head.split(/\s+/).pop() ?? '';
    const plural = /s$/i.test(lastWord) && !/(ss|us|is)$/i.test(lastWord);
    let phrase: string;
    if (able || /cannot/i.test(modal)) {
      phrase = `${negative ? 'cannot' : 'can'} ${rest}`;
    } else {
      const [verb = '', ...after] = rest.split(/\s+/);
      const tail = after.length > 0 ? ` ${after.join(' ')}` : '';
      if (negative) phrase = verb.toLowerCase() === 'be' ? `${plural ? 'are' : 'is'} not${tail}` : `${plural ? 'do' : 'does'} not ${verb}${tail}`;
      else phrase = `${plural ? (verb.toLowerCase() === 'be' ? 'are' : verb) : thirdPerson(verb)}${tail}`;
    }
    return clip(`${capitalise(subj)} ${phrase}.`, LIMITS.criterionMax);
  }
  return clip(`Meets the requirement: ${sentence}.`, LIMITS.criterionMax);
}

const PRIORITY_RULES: [RegExp, Priority][] = [
  [/\b(critical|blocker|highest|p0)\b/i, 'Highest'],
  [/\bmust[- ]have\b/i, 'High'],
  [/\bshould[- ]have\b/i, 'Medium'],
  [/\bcould[- ]have\b|\bnice[- ]to[- ]have\b/i, 'Low'],
  [/\bwon'?t[- ]have\b|\bwill not have\b/i, 'Lowest'],
  [/\b(must|shall|required|mandatory|muss|müssen|darf nicht|dürfen nicht|doit|doivent|devra|devront|debe|deben|obligatoire|obligatorio)\b/i, 'High'],
  [/\b(should|soll|sollte|devrait|debería)\b/i, 'Medium'],
  [/\b(could|may|optional|optionally|kann|könnte|peut|pourrait|puede|podría)\b/i, 'Low'],
];

/**
 * Priority from MoSCoW terms and modal verbs. "Critical"/"blocker" anywhere wins; otherwise the
 * earliest signal in the text does, since later sentences tend to qualify options ("Could have: SMS").
 */
export function priorityFor(blocks: SpecBlock[]): Priority {
  // An explicit priority column says it best.
  const column = blocks.flatMap((b) => (b.cells ?? []).filter((c) => c.header && PRIORITY_HEADER.test(c.header)).map((c) => c.text)).join(' ');
  const text = column.trim() !== '' ? column : blocks.map((b) => b.text).join(' ');
  const [urgent, ...rest] = PRIORITY_RULES;
  if (urgent![0].test(text)) return urgent![1];
  let best: { at: number; p: Priority } | undefined;
  for (const [re, p] of rest) {
    const m = re.exec(text);
    if (m && (!best || m.index < best.at)) best = { at: m.index, p };
  }
  return best?.p ?? 'Medium';
}

const POINT_STEPS = [1, 2, 3, 5, 8] as const;

/** Story points from size: words of the cited text, bumped one step for many criteria or sub-tasks. Never 13. */
export function estimateFor(words: number, criteria: number, subtasks: number): number {
  let step = words <= 15 ? 0 : words <= 30 ? 1 : words <= 60 ? 2 : words <= 120 ? 3 : 4;
  if (criteria >= 4 || subtasks >= 4) step++;
  return POINT_STEPS[Math.min(step, POINT_STEPS.length - 1)]!;
}

export const wordCount = (text: string): number => text.split(/\s+/).filter(Boolean).length;
