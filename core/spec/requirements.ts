// Requirement tagging: decides from a block's own text (and its place in the page) why it reads like
// a requirement. Tags are hints for coverage checks and prompts, so they lean towards precision for
// ordinary prose ("we will meet" is not a requirement) while accepting every common spec idiom.

import { REQUIREMENT_TAGS, type BlockKind, type RequirementTag } from './types.ts';

const NOT_LETTER_BEFORE = '(?<![\\p{L}\\p{N}_])';
const NOT_LETTER_AFTER = '(?![\\p{L}\\p{N}_])';
const w = (body: string, flags = 'iu') => new RegExp(`${NOT_LETTER_BEFORE}(?:${body})${NOT_LETTER_AFTER}`, flags);

/**
 * FR-001, NFR-4, REQ-12, US-3, BR-2, AC-1, UC-7, FR-AUTH-01, REQ_12, SEC-3.1 (upper case only: "us-3" is prose);
 * RF-/RNF- are the Spanish (and Portuguese) requisito funcional / no funcional; SC-/KPI- success criteria and KPIs.
 */
const REQUIREMENT_ID = new RegExp(
  `${NOT_LETTER_BEFORE}((?:FR|NFR|RF|RNF|REQ|RQ|US|UC|BR|AC|SR|SYS|TR|QR|DR|IR|UR|SEC|PERF|SC|KPI)(?:-[A-Z]{2,10})?[-_]?\\d{1,5}(?:\\.\\d{1,3})*)(?![\\p{L}\\p{N}_]|\\.\\d)`,
  'u',
);

const MODAL = anyOf([
  w('must|shall|should|needs to|is required to|are required to'),
  // "will" only with a system-like subject: "The system will…", "Users will…", not "we will meet".
  w('(?:system|application|app|service|platform|api|backend|server|tool|product|module|component|feature|page|screen|form|user|users|admin|administrator|customer|customers|job|report|integration|database)\\s+will'),
  w('muss|müssen|soll|sollen|sollte|sollten|darf\\s+nicht|dürfen\\s+nicht'),
  w('doit|doivent|devra|devront|devrait|devraient|il\\s+faut'),
  w('debe|deben|deberá|deberán|debería|deberían|tiene\\s+que|tienen\\s+que'),
]);

/**
 * One expression that matches where any of `patterns` matches (each block is scanned once, not once
 * per pattern). Multiline mode only changes ^ and $, which only the line-start patterns use.
 */
function anyOf(patterns: readonly RegExp[]): RegExp {
  return new RegExp(patterns.map((p) => `(?:${p.source})`).join('|'), 'imu');
}

const LINE_START = '(?:^|[:\\-–—]\\s*)';
const USER_STORY = anyOf([
  w('as\\s+an?\\s+[^.;\\n]{1,80}?,?\\s+I\\s+(?:want|need|would\\s+like|wish|can|should\\s+be\\s+able)'),
  new RegExp(`${LINE_START}als\\s+[^.;\\n]{1,80}?\\s+(?:möchte|will|muss|kann)\\s+ich${NOT_LETTER_AFTER}`, 'imu'),
  w('en\\s+tant\\s+qu(?:e\\s+|[\'’]\\s*)[^.;\\n]{1,80}?,?\\s+je\\s+(?:veux|souhaite|voudrais|peux|dois)'),
  new RegExp(`${LINE_START}como\\s+[^.;\\n]{1,80}?,?\\s+(?:quiero|necesito|deseo|me\\s+gustaría|puedo)${NOT_LETTER_AFTER}`, 'imu'),
]);

const GIVEN = 'given|gegeben(?:\\s+sei)?|angenommen|[ée]tant\\s+donn[ée]e?s?|soit|dado|dada|dados|dadas';
const WHEN = 'when|wenn|quand|lorsque|cuando';
const THEN = 'then|dann|alors|entonces';
const CONTINUATION = 'and|but|und|aber|et|mais|y|pero';
const GIVEN_LINE = new RegExp(`^\\s*(?:${GIVEN})${NOT_LETTER_AFTER}`, 'imu');
const FOLLOW_LINE = new RegExp(`^\\s*(?:${WHEN}|${THEN}|${CONTINUATION})${NOT_LETTER_AFTER}`, 'imu');
const INLINE_SCENARIO = new RegExp(
  `${NOT_LETTER_BEFORE}(?:${GIVEN}|${WHEN})${NOT_LETTER_AFTER}[^]{1,400}?${NOT_LETTER_BEFORE}(?:${THEN})${NOT_LETTER_AFTER}`,
  'iu',
);

/**
 * The shortest text each pattern can match: "US1"; "must", "soll", "doit", "debe"; "as a x I can";
 * "soit", "dado"; "soit x dann" less the x's spaces ("soit dann" has a space before "dann");
 * "abnahmekriterien" for an acceptance lead-in.
 * requirements.test.ts checks each against its pattern.
 */
export const MIN_LENGTH = { id: 3, modal: 4, userStory: 10, given: 4, inlineScenario: 9, acceptanceLeadIn: 16 } as const;


export const ACCEPTANCE_HEADING =
  /acceptance\s+criteria|definition\s+of\s+done|akzeptanzkriterien|abnahmekriterien|crit[èe]res\s+d['’]\s*acceptation|criterios\s+de\s+aceptaci[óo]n/i;

/** Headings of sections whose items say how success is measured: each item is a requirement to trace. */
export const SUCCESS_HEADING =
  /success\s+criteri(?:a|on)|measurable\s+outcomes?|success\s+metrics?|\bKPIs?\b|key\s+performance\s+indicators?|key\s+results|erfolgskriterien|kennzahlen|crit[èe]res\s+de\s+(?:succ[èe]s|r[ée]ussite)|indicateurs\s+cl[ée]s|criterios\s+de\s+[ée]xito|indicadores\s+clave/i;
/** Headings of sections listing situations the work must handle. */
export const EDGE_CASE_HEADING = /edge\s+cases?|corner\s+cases?|boundary\s+cases?|failure\s+modes?|randf[äa]lle|grenzf[äa]lle|cas\s+limites?|casos\s+l[íi]mite/i;
const SUCCESS_ID = /^(?:SC|KPI)(?:[-_]|\d)/;

/** The patterns MIN_LENGTH guards, by the same names (for its test). */
export const GUARDED_PATTERNS: Readonly<Record<keyof typeof MIN_LENGTH, RegExp>> = Object.freeze({
  id: REQUIREMENT_ID,
  modal: MODAL,
  userStory: USER_STORY,
  given: GIVEN_LINE,
  inlineScenario: INLINE_SCENARIO,
  acceptanceLeadIn: ACCEPTANCE_HEADING,
});


const TAGGABLE: ReadonlySet<BlockKind> = new Set(['paragraph', 'listItem', 'tableRow', 'task', 'quote']);

export interface TagContext {
  kind: BlockKind;
  text: string;
  done?: boolean;
  headingPath: readonly string[];
  /** The block is an item of a list introduced by an "Acceptance criteria:" lead-in. */
  underAcceptanceLeadIn: boolean;
  /** The previous block in the same section read as a Given/When/Then step. */
  previousWasGherkin: boolean;
}

export interface TagResult {
  tags: RequirementTag[];
  requirementId?: string;
}

/** What a section's heading path says about the items in it: worked out once per section, not once per block. */
export interface SectionTagging {
  acceptance: boolean;
  success: boolean;
  edgeCase: boolean;
}

export function sectionTagging(headingPath: readonly string[]): SectionTagging {
  return {
    acceptance: matchesAny(ACCEPTANCE_HEADING, headingPath),
    success: matchesAny(SUCCESS_HEADING, headingPath),
    edgeCase: matchesAny(EDGE_CASE_HEADING, headingPath),
  };
}

// One bit per tag, in REQUIREMENT_TAGS order (the order tags are listed in).
export const TAG_BIT = { id: 1, modal: 2, userStory: 4, gherkin: 8, acceptanceCriteria: 16, openTask: 32, successCriterion: 64, edgeCase: 128 } as const;
/**
 * The tag list of each combination of tags, made once and frozen: a page of 100,000 blocks has only a
 * handful of combinations, and each block shares the list of its own.
 */
const TAG_LISTS: (readonly RequirementTag[] | undefined)[] = new Array(256);

/** The tags of a bit set from RequirementTagger.tag, in REQUIREMENT_TAGS order (shared and frozen: do not modify). */
export function tagList(bits: number): RequirementTag[] {
  let list = TAG_LISTS[bits];
  if (!list) {
    list = Object.freeze(REQUIREMENT_TAGS.filter((t) => (bits & TAG_BIT[t]) !== 0));
    TAG_LISTS[bits] = list;
  }
  return list as RequirementTag[];
}

/**
 * Tags one block: returns the tags as a bit set (see tagList) and leaves the requirement id it found,
 * if any, in `requirementId`. The per-block path of the document builder: no object per block.
 */
export class RequirementTagger {
  requirementId: string | undefined;

  tag(kind: BlockKind, text: string, done: boolean | undefined, section: SectionTagging, underAcceptanceLeadIn: boolean, previousWasGherkin: boolean): number {
    this.requirementId = undefined;
    if (!TAGGABLE.has(kind)) return 0;
    let bits = 0;
    // Each pattern runs only on a text as long as its shortest match (a table cell's "Yes" runs none):
    // case-insensitive matching maps one character to one, so a shorter text cannot match.
    const length = text.length;
    const id = length >= MIN_LENGTH.id ? REQUIREMENT_ID.exec(text)?.[1] : undefined;
    if (id) {
      bits |= TAG_BIT.id;
      this.requirementId = id;
    }
    if (length >= MIN_LENGTH.modal && MODAL.test(text)) bits |= TAG_BIT.modal;
    if (length >= MIN_LENGTH.userStory && USER_STORY.test(text)) bits |= TAG_BIT.userStory;
    if (
      (length >= MIN_LENGTH.given && GIVEN_LINE.test(text)) ||
      (length >= MIN_LENGTH.inlineScenario && INLINE_SCENARIO.test(text)) ||
      (previousWasGherkin && FOLLOW_LINE.test(text))
    ) {
      bits |= TAG_BIT.gherkin;
    }
    if ((kind === 'listItem' || kind === 'task') && (underAcceptanceLeadIn || section.acceptance)) bits |= TAG_BIT.acceptanceCriteria;
    if (kind === 'task' && done === false) bits |= TAG_BIT.openTask;
    if ((id && SUCCESS_ID.test(id)) || (kind !== 'task' && section.success)) bits |= TAG_BIT.successCriterion;
    else if (kind !== 'task' && section.edgeCase) bits |= TAG_BIT.edgeCase;
    return bits;
  }
}

export function tagRequirement(ctx: TagContext): TagResult {
  const tagger = new RequirementTagger();
  const bits = tagger.tag(ctx.kind, ctx.text, ctx.done, sectionTagging(ctx.headingPath), ctx.underAcceptanceLeadIn, ctx.previousWasGherkin);
  const tags = [...tagList(bits)];
  return tagger.requirementId ? { tags, requirementId: tagger.requirementId } : { tags };
}

function matchesAny(pattern: RegExp, texts: readonly string[]): boolean {
  for (const t of texts) if (pattern.test(t)) return true;
  return false;
}

/** Whether a lead-in ("Acceptance criteria:", a bold paragraph, the text of a parent item) introduces criteria. */
export function isAcceptanceLeadIn(text: string): boolean {
  return text.length <= 200 && text.length >= MIN_LENGTH.acceptanceLeadIn && ACCEPTANCE_HEADING.test(text);
}
