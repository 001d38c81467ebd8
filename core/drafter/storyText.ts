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

// Words that open a new phrase: a title cut just before one ends where a phrase ends.
const CLAUSE_OPENERS = new Set(['when', 'whenever', 'where', 'while', 'if', 'unless', 'because', 'so', 'that', 'which', 'who', 'including', 'such', 'e.g.', 'i.e.', 'except', 'provided', 'whether']);
const PHRASE_OPENERS = new Set([
  ...CLAUSE_OPENERS, 'by', 'via', 'with', 'without', 'for', 'from', 'in', 'into', 'on', 'at', 'using', 'across', 'within', 'after',
  'before', 'during', 'through', 'per', 'than', 'as', 'and', 'or', 'but', 'to', 'of', 'between', 'against', 'until', 'over',
  'under', 'about', 'above', 'below', 'along', 'among', 'around', 'towards', 'toward', 'since', 'whose', 'like', 'instead',
]);
// Words a phrase does not end with (articles, prepositions, conjunctions, auxiliaries, possessives).
const DANGLING = new Set([
  'a', 'an', 'the', 'of', 'to', 'via', 'by', 'with', 'without', 'for', 'from', 'in', 'into', 'on', 'at', 'as', 'and', 'or',
  'but', 'nor', 'than', 'that', 'which', 'who', 'when', 'where', 'while', 'if', 'unless', 'because', 'so', 'is', 'are', 'be',
  'was', 'were', 'has', 'have', 'must', 'shall', 'should', 'will', 'can', 'may', 'its', 'their', 'his', 'her', 'our', 'your',
  'my', 'this', 'these', 'those', 'each', 'every', 'any', 'all', 'such', 'including', 'per', 'between', 'within', 'through',
  'across', 'using', 'e.g.', 'i.e.', 'etc.', 'not',
]);
const bare = (word: string): string => word.toLowerCase().replace(/^[("'“]+|[)"'”,;:.!?]+$/gu, '');

/** Drops trailing words a phrase cannot end with, and trailing punctuation. */
function trimDangling(words: string[]): string[] {
  const out = [...words];
  while (out.length > 1 && (DANGLING.has(bare(out[out.length - 1]!)) || /^[–—\-→:|]+$/.test(out[out.length - 1]!))) out.pop();
  if (out.length > 0) out[out.length - 1] = out[out.length - 1]!.replace(/[,;:.–—\-(]+$/u, '');
  return out;
}

/**
 * Shortens text to at most `max` characters at a phrase boundary: before a clause or preposition, or
 * after a comma, never after an article or preposition. No ellipsis: the whole text stays in the
 * description, and a title that ends where its phrase ends reads as finished.
 */
export function clipPhrase(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const words = flat.split(' ');
  // Candidates: cut before word i. Longer kept text is better; stronger boundaries earn a bonus.
  let best = -1;
  let bestScore = -Infinity;
  let length = 0;
  for (let i = 1; i < words.length; i++) {
    length += words[i - 1]!.length + (i > 1 ? 1 : 0);
    if (length > max) break;
    const prev = words[i - 1]!;
    const next = bare(words[i]!);
    const strength = /[,;:)]$/.test(prev) || words[i]!.startsWith('(') ? 3 : CLAUSE_OPENERS.has(next) ? 2 : PHRASE_OPENERS.has(next) ? 1 : 0;
    if (strength === 0 || i < 3) continue;
    const score = length / max + 0.12 * strength;
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  let kept: string[];
  if (best > 0) {
    kept = words.slice(0, best);
  } else {
    kept = [];
    let n = 0;
    for (const w of words) {
      if (n + w.length + (kept.length > 0 ? 1 : 0) > max) break;
      n += w.length + (kept.length > 0 ? 1 : 0);
      kept.push(w);
    }
    if (kept.length === 0) return clip(flat, max);
  }
  // Unbalanced brackets left by the cut go too.
  let out = trimDangling(kept).join(' ');
  if ((out.match(/\(/g) ?? []).length > (out.match(/\)/g) ?? []).length) out = out.replace(/\s*\([^)]*$/u, '');
  return trimDangling(out.split(' ')).join(' ');
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

const lowerFirst = (s: string): string => (/^\p{Lu}(?:\p{Ll}|\s)/u.test(s) ? s.charAt(0).toLocaleLowerCase() + s.slice(1) : s);

/** A criterion of at most `max` characters: whole sentences while they fit, else the first one cut at a phrase. */
export function clipCriterion(text: string, max: number = LIMITS.criterionMax): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const sentences = flat.split(/(?<=[.!?])\s+(?=[\p{Lu}\p{N}])/u);
  let out = '';
  for (const x of sentences) {
    if ((out ? out.length + 1 : 0) + x.length > max) break;
    out = out ? `${out} ${x}` : x;
  }
  return out || `${clipPhrase(flat, max - 1)}.`;
}

const MODAL_WORDS_RE = /\b(must|shall|should|will|needs? to|has to|can|may|muss|müssen|soll|doit|debe)\b/i;

/**
 * The requirement's label and statement: "FR-001 (Source ladder): The bridge…" and
 * "Incomplete translations: What happens when…" carry a short label before the statement.
 */
export function labelled(block: SpecBlock): { label?: string; body: string } {
  const body = withoutRequirementId(block);
  const paren = /^[([]([^()[\]]{1,60})[)\]]\s*[:.\-–—]?\s+(.+)$/su.exec(body);
  if (paren) return { label: paren[1]!.trim(), body: paren[2]!.trim() };
  const colon = /^([^:.;!?()]{1,50}?)\s*:\s+(.+)$/su.exec(body);
  if (colon && colon[1]!.split(/\s+/).length <= 6 && !MODAL_WORDS_RE.test(colon[1]!) && /\p{L}/u.test(colon[1]!) && colon[2]!.length > 10) {
    return { label: colon[1]!.trim(), body: colon[2]!.trim() };
  }
  return { body };
}

// Subjects that say nothing a title needs: "The system MUST export X" is titled "Export X".
const GENERIC_SUBJECT =
  /^(?:the\s+)?(?:system|application|app|service|platform|tool|cli|api|backend|server|product|module|component|bridge|library|command|plugin|extension|integration|test\s+suite|tests|solution|implementation|software|website|site|ui|interface|feature|framework|workflow)$/i;
const MODAL_SPLIT =
  /^(?<subj>[^,;:]{1,60}?)\s+(?<modal>must not|shall not|should not|will not|must|shall|should|will|needs to|has to|is required to|are required to)\s+(?<rest>.+)$/i;

/** "System MUST export invoices as CSV" → "Export invoices as CSV"; undefined when the subject matters. */
export function imperativeOf(sentence: string): string | undefined {
  const m = MODAL_SPLIT.exec(sentence);
  if (!m?.groups || !GENERIC_SUBJECT.test(m.groups.subj!.trim())) return undefined;
  let rest = m.groups.rest!.replace(/^be able to\s+/i, '').trim();
  if (/^(?:be|have|not)\b/i.test(rest)) return undefined;
  if (/not$/i.test(m.groups.modal!)) rest = `never ${rest}`;
  return capitalise(rest);
}

const QUESTION_LEAD = /^(?:what\s+(?:happens|should\s+happen|occurs)|what\s+is\s+the\s+behaviou?r)\s+(?:when|if|after|with|on)\s+|^what\s+if\s+/i;
const HANDLE_LEAD = /^how\s+(?:does|do|will|should)\s+(?:the\s+)?(?:system|application|app|service|tool|cli)\s+handle\s+/i;

/** An edge case written "Question? → Answer" (or "Question? (Answer)"): the two parts, else undefined. */
export function edgeCaseParts(text: string): { question: string; answer?: string } | undefined {
  const t = text.replace(/\s+/g, ' ').trim();
  const q = t.indexOf('?');
  if (q < 0) return undefined;
  const question = t.slice(0, q + 1).trim();
  const after = t.slice(q + 1).trim().replace(/^(?:→|->|=>|[-–—:])\s*/u, '').replace(/^\((.*)\)$/u, '$1').trim();
  return after ? { question, answer: after } : { question };
}

/** An edge case asked as a question ("What happens when X?") → its situation ("X"), else undefined. */
export function edgeCaseSituation(text: string): string | undefined {
  const parts = edgeCaseParts(text);
  if (!parts) return undefined;
  const t = stripBrackets(parts.question);
  if (!QUESTION_LEAD.test(t) && !HANDLE_LEAD.test(t)) return undefined;
  const situation = t.replace(QUESTION_LEAD, '').replace(HANDLE_LEAD, '').replace(/\?+\s*$/, '').trim();
  return situation.length >= 3 ? situation : undefined;
}

/** A one-statement title of at most ADVISED_TITLE_MAX characters, ending at a phrase boundary. */
export function titleFor(block: SpecBlock, storyHeading?: string): string {
  const { label, body } = labelled(block);
  const id = block.requirementId;
  const prefix = id ? (label ? `${id} ${label}: ` : `${id}: `) : label ? `${label}: ` : '';
  const form = block.tags.includes('userStory') ? parseStoryForm(body) : undefined;
  let core: string;
  if (form?.role && form.goal) {
    if (storyHeading) return clipPhrase(storyHeading, ADVISED_TITLE_MAX);
    core = stripBrackets(firstSentence(body).replace(/\s*,?\s+(so that|damit|afin de|afin que|pour que|para que|para poder)\s.*$/iu, ''));
    if (core.length > ADVISED_TITLE_MAX && form.language === 'en') {
      // A long role loses its qualifiers first: "As a team lead setting up X for Y, I want…" → "As a team lead, I want…".
      const role = form.role.split(/\s+(?:setting|using|working|who|that|with|on|in|for|from|at|of)\b/i)[0]!;
      const want = /\bI\s+(want|need|would like|wish|can|should be able)\b/i.exec(body)?.[1] ?? 'want';
      core = stripBrackets(`As ${/^(a|an|the)\s/i.test(role) ? '' : /^[aeiou]/i.test(role) ? 'an ' : 'a '}${role}, I ${want} ${/^to\s/i.test(form.goal) || !/want|need|would like|wish/i.test(want) ? '' : 'to '}${form.goal}`).replace(/\s*,?\s+(so that|so|in order to)\s.*$/i, '');
    }
  } else if (block.tags.includes('edgeCase') && edgeCaseSituation(body)) {
    core = HANDLE_LEAD.test(body) ? `Handle ${edgeCaseSituation(body)!}` : `Handle the case when ${edgeCaseSituation(body)!}`;
  } else if (block.tags.includes('edgeCase') && edgeCaseParts(body)) {
    core = stripBrackets(edgeCaseParts(body)!.question).replace(/\?+$/, '');
    if (label) return clipPhrase(`${label}: ${lowerFirst(core)}`, ADVISED_TITLE_MAX);
  } else {
    const sentence = stripBrackets(keySentence(block, body)).replace(/[.;:!]+$/u, '');
    core = imperativeOf(sentence) ?? sentence;
  }
  core = trimDangling(core.replace(/[.;:!]+$/u, '').trim().split(' ')).join(' ') || stripBrackets(block.text);
  return clipPhrase(`${prefix}${label ? lowerFirst(core) : capitalise(core)}`, ADVISED_TITLE_MAX);
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

// Verbs that follow "and"/"or" in a requirement ("validate X and report Y"): they agree with the subject too.
const COMMON_VERBS = new Set(
  ('accept add allow apply archive ask assign block build cache calculate call check clean close collect compare compute configure confirm ' +
    'continue convert copy create delete deliver deploy describe detect disable display download enable ensure exclude execute exit export ' +
    'extract fail fall fetch filter flag generate group handle hide ignore import include indicate inform install keep link list load lock log ' +
    'maintain mark merge migrate move notify open parse pass persist preserve prevent print process produce prompt provide publish read record ' +
    'redirect refresh reject remember remove rename render replace report request require reset resolve respect restore retry return reuse run ' +
    'save scan schedule search select send set share show skip sort start stop store submit support suggest switch sync track transform ' +
    'translate trigger update upload use validate verify warn write').split(' '),
);

function agreeCoordinatedVerbs(tail: string, plural: boolean): string {
  if (plural) return tail;
  return tail.replace(/(\s(?:and|or)\s+)([a-z]+)(?=\s|$)/g, (all, joiner: string, verb: string) => (COMMON_VERBS.has(verb) ? `${joiner}${thirdPerson(verb)}` : all));
}

/** "The system must export X" → "The system exports X."; undefined when the sentence has no plain subject and modal. */
export function statementRewrite(sentence: string): string | undefined {
  // A leading condition ("In fast mode, the system must…") stays in front of the rewritten statement.
  const lead = /^((?:in|when|if|for|on|after|before|during|once|unless|while|where|with)\b[^,;:]{1,80}),\s+(.+)$/i.exec(sentence.trim());
  if (lead) {
    const rest = statementRewrite(lead[2]!);
    return rest ? `${lead[1]}, ${rest.charAt(0).toLocaleLowerCase()}${rest.slice(1)}` : undefined;
  }
  const m = MODAL_RE.exec(sentence.replace(/[.;:!]+$/u, ''));
  // Only a plain subject ("The system", "Users") is rewritten; "Finance asked whether refunds should…" is not a requirement's subject.
  if (!m?.groups || /[,;:]|\b(whether|if|that|which|who|when|because|asked|said|how|what|why|where)\b/i.test(m.groups.subj!) || m.groups.subj!.split(' ').length > 8) return undefined;
  const { subj, modal, able, rest } = m.groups as { subj: string; modal: string; able?: string; rest: string };
  const negative = /not|cannot/i.test(modal);
  // The head noun comes before any qualifier: "Changes made offline", "The status of orders".
  const head = subj.split(/\s+(?:of|made|for|with|in|on|from|by|to)\s+/i)[0]!;
  const lastWord = head.split(/\s+/).pop() ?? '';
  const plural = (/s$/i.test(lastWord) && !/(ss|us|is)$/i.test(lastWord)) || /\band\b/i.test(head);
  let phrase: string;
  if (able || /cannot/i.test(modal)) {
    phrase = `${negative ? 'cannot' : 'can'} ${rest}`;
  } else {
    const [verb = '', ...after] = rest.split(/\s+/);
    const tail = after.length > 0 ? ` ${agreeCoordinatedVerbs(after.join(' '), plural)}` : '';
    if (negative) phrase = verb.toLowerCase() === 'be' ? `${plural ? 'are' : 'is'} not${tail}` : `${plural ? 'do' : 'does'} not ${verb}${tail}`;
    else phrase = `${plural ? (verb.toLowerCase() === 'be' ? 'are' : verb) : thirdPerson(verb)}${tail}`;
  }
  return `${capitalise(subj.replace(/^\s+/, ''))} ${phrase}.`;
}

const PRONOUNS: [RegExp, string][] = [
  [/\bmyself\b/g, 'themselves'],
  [/\bmy\b/g, 'their'],
  [/\bmine\b/g, 'theirs'],
  [/\bme\b/g, 'them'],
  [/\bI am\b/g, 'they are'],
  [/\bI\b/g, 'they'],
];

/**
 * "The system must export X" → "The system exports X."; a user story whose goal is an action →
 * "A reviewer can <goal>." Undefined when no sentence can be derived that a person would write
 * (a goal that is not an action, a statement without a plain subject and modal verb).
 */
export function derivedCriterion(block: SpecBlock): string | undefined {
  const body = withoutRequirementId(block);
  const form = block.tags.includes('userStory') ? parseStoryForm(body) : undefined;
  if (form) {
    // Only an action goal reads as "<role> can <goal>": "I want my card preselected" does not.
    if (form.language !== 'en' || !form.role || !form.goal || !/^as\s+[^,]+?,?\s+I\s+(?:(?:want|need|would like|wish)\s+to|can|should be able to)\s/i.test(body.trim())) return undefined;
    const role = /^(a|an|the)\s/i.test(form.role) ? form.role : `${/^[aeiou]/i.test(form.role) ? 'an' : 'a'} ${form.role}`;
    let goal = form.goal.replace(/^(?:to\s+)?be able to\s+/i, '').replace(/[.!]+$/, '');
    for (const [re, to] of PRONOUNS) goal = goal.replace(re, to);
    return clip(`${capitalise(role)} can ${goal}.`, LIMITS.criterionMax);
  }
  const { body: statement } = labelled(block);
  const sentence = keySentence(block, statement).replace(/[.;:!]+$/u, '');
  const rewritten = statementRewrite(sentence) ?? statementRewrite(stripBrackets(sentence));
  if (rewritten && !/\b(?:when|if|following|these|as follows|including)\.$/i.test(rewritten)) return clipCriterion(rewritten);
  // Success criteria and KPIs are measurable statements already.
  if (block.tags.includes('successCriterion') && !/\?\s*$/.test(statement)) return clipCriterion(`${capitalise(statement.replace(/[.;:!]+$/u, ''))}.`);
  return undefined;
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
