// Drafting a page written in the spec-driven template (user stories with priorities and acceptance
// scenarios, then functional requirements, edge cases and success criteria): each user story becomes
// an epic named after the story, the requirements, edge cases and tasks it serves become its stories
// (matched by id references, "User Story 2" references or shared terms), and success criteria become
// acceptance criteria of the epic they measure, or verification stories. Template headings
// ("Requirements (mandatory)") never name an epic; clarifications, assumptions and the page's
// preamble are cited as context. Returns undefined for pages of another shape.

import { LIMITS } from '../breakdown/schema.ts';
import type { Breakdown, Epic, Priority, Story, Subtask } from '../breakdown/schema.ts';
import { isTemplateHeading } from '../breakdown/lintStory.ts';
import { parseStoryForm } from '../breakdown/storyForm.ts';
import { isRequirementBlock } from '../spec/types.ts';
import type { SpecBlock, SpecDocument, SpecSection } from '../spec/types.ts';
import type { EpicGroup } from './epicGroups.ts';
import { DRAFT_LABEL, draftUnits, highestPriority, renderStory, scenariosById } from './storyDrafts.ts';
import type { Unit } from './storyDrafts.ts';
import { clip, clipBlock, clipCriterion, clipPhrase, estimateFor, labelled, priorityFor, titleFor, wordCount } from './storyText.ts';

const STORY_HEADING = /^(?:(?:primary\s+)?user\s+stor(?:y|ies)|story|us[-\s]?\d+)\b/i;
/** A numbered story heading starts a feature even when its text is not in "As a …" form. */
const NUMBERED_STORY = /^(?:user\s+story|story|us)[\s-]?\d+\b/i;
const STORY_TITLE = /^(?:user\s+)?story\s*\d*\s*[-–—:.]\s*(.+?)\s*$|^us[-\s]?\d+\s*[-–—:.]?\s*(.+?)\s*$/i;
const PRIORITY_NOTE = /\s*\((?:priority|prio)\s*:?\s*(P\d)\)\s*$/i;
const ACCEPTANCE_SECTION = /acceptance|scenario|akzeptanz|crit[èe]res|criterios/i;
const CONTEXT_SECTION =
  /clarification|decision|question|assumption|key\s+entit|dependenc|out\s+of\s+scope|non-goals?|constraint|glossary|notes?$|input|review|checklist|execution\s+flow|guidelines|status|overview|background|context|summary/i;
const TEMPLATE_MARK = /\s*\((?:mandatory|optional|required|if applicable)\)\s*$/i;
const STOP = new Set(
  ('this that with from have will when then than into each their there these those which what shall must should would could ' +
    'system user users able about after before being both does done such only also more most other same very make made ' +
    'given test tests case cases page feature features requirement requirements story stories scenario scenarios priority').split(' '),
);

interface Feature {
  lead: SpecBlock;
  section: SpecSection;
  title: string;
  priority?: Priority;
  blocks: SpecBlock[];
  terms: Set<string>;
  number?: number;
}

const stem = (w: string): string => w.replace(/(?:ing|ed|es|s)$/, '');
function termsOf(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}_.-]*[\p{L}\p{N}]/gu) ?? []) {
    if (w.length < 4 || STOP.has(w) || /^\d+$/.test(w)) continue;
    out.add(stem(w));
  }
  return out;
}

const pPriority = (p: string): Priority => (['Highest', 'High', 'Medium', 'Low', 'Lowest'] as const)[Math.min(4, Number(p.slice(1)))] ?? 'Medium';

/** The page's title without the template's "Feature Specification:" lead-in. */
const shortTitle = (doc: SpecDocument): string => doc.title.replace(/^(?:feature\s+)?spec(?:ification)?\s*[:–—-]\s*/i, '').trim() || doc.title;

/**
 * An unnamed feature's epic is titled by what the user story asks for ("Rechnungen vor dem Versand
 * prüfen"), not by the story sentence itself: that sentence is the title of the feature's first
 * story, and an epic and its story sharing one title tell the reviewer nothing.
 */
function capabilityTitle(lead: SpecBlock): string {
  const form = parseStoryForm(labelled(lead).body);
  const goal = form?.goal?.trim().replace(/^to\s+/i, '');
  if (!form || !goal || goal.split(/\s+/).length < 2) return titleFor(lead);
  // "reset my password" → "Reset password": the story speaks for its user, the epic names the capability.
  const neutral = form.language === 'en' ? goal.replace(/\b(?:my|our)\s+/gi, '') : goal;
  return neutral.charAt(0).toLocaleUpperCase() + neutral.slice(1);
}

function featureTitle(section: SpecSection, lead: SpecBlock): { title: string; priority?: Priority; number?: number } {
  const heading = section.title;
  const prio = PRIORITY_NOTE.exec(heading);
  const bareHeading = heading.replace(PRIORITY_NOTE, '').trim();
  const m = STORY_TITLE.exec(bareHeading);
  const number = Number(/(\d+)/.exec(bareHeading)?.[1] ?? NaN);
  const named = m ? (m[1] ?? m[2] ?? '').trim() : '';
  const title = named && !/^user\s+stor/i.test(named) ? named : capabilityTitle(lead);
  return { title: clipPhrase(title, 100), ...(prio ? { priority: pPriority(prio[1]!) } : {}), ...(Number.isFinite(number) ? { number } : {}) };
}

function isDescendant(sections: Map<string, SpecSection>, child: string, ancestor: string): boolean {
  for (let s = sections.get(child); s; s = s.parentId ? sections.get(s.parentId) : undefined) if (s.id === ancestor) return true;
  return false;
}

/** The page's user stories with the blocks that belong to each (scenarios, criteria, rationale). */
function findFeatures(doc: SpecDocument, sections: Map<string, SpecSection>): { features: Feature[]; featureOf: Map<string, Feature> } {
  const features: Feature[] = [];
  const featureOf = new Map<string, Feature>();
  let open: Feature | undefined;
  const started = new Set<string>();
  for (const b of doc.blocks) {
    const section = sections.get(b.sectionId);
    const starts =
      section !== undefined &&
      !b.parentBlockId &&
      ((b.tags.includes('userStory') && STORY_HEADING.test(section.title)) || (NUMBERED_STORY.test(section.title) && !started.has(section.id) && b.kind === 'paragraph'));
    if (starts && section) {
      started.add(section.id);
      open = { lead: b, section, ...featureTitle(section, b), blocks: [b], terms: new Set() };
      features.push(open);
      featureOf.set(b.id, open);
      continue;
    }
    if (!open) continue;
    const inside = isDescendant(sections, b.sectionId, open.section.id);
    const scenarioSibling = section !== undefined && ACCEPTANCE_SECTION.test(section.title) && (b.tags.includes('gherkin') || b.tags.includes('acceptanceCriteria') || !isRequirementBlock(b));
    if (inside || scenarioSibling) {
      open.blocks.push(b);
      featureOf.set(b.id, open);
    } else {
      open = undefined;
    }
  }
  for (const f of features) f.terms = termsOf([f.title, ...f.blocks.map((b) => b.text)].join(' '));
  return { features, featureOf };
}

/** Which feature a unit serves: an explicit reference first, then the most shared distinctive terms. */
function assign(unit: Unit, features: Feature[], idf: (t: string) => number): Feature | undefined {
  const text = unit.members.flatMap((m) => m.blocks.map((b) => b.text)).join(' ') + unit.tasks.flatMap((t) => t.blocks.map((b) => b.text)).join(' ');
  const ref = /\b(?:user\s+story|story|US)[\s-]?(\d+)\b/i.exec(text);
  if (ref) {
    const f = features.find((x) => x.number === Number(ref[1]));
    if (f) return f;
  }
  const ids = unit.members.map((m) => m.lead.requirementId).filter((x): x is string => x !== undefined);
  for (const id of ids) {
    const f = features.find((x) => x.blocks.some((b) => b.text.includes(id)));
    if (f) return f;
  }
  const terms = termsOf(text);
  let total = 0;
  for (const t of terms) total += idf(t);
  if (total === 0) return undefined;
  let best: Feature | undefined;
  let bestScore = 0;
  for (const f of features) {
    let shared = 0;
    for (const t of terms) if (f.terms.has(t)) shared += idf(t);
    const score = shared / total;
    if (score > bestScore) {
      best = f;
      bestScore = score;
    }
  }
  return bestScore >= 0.18 ? best : undefined;
}

interface EpicDraft {
  title: string;
  description: string;
  priority?: Priority;
  criteria: string[];
  sources: string[];
  drafts: ReturnType<typeof renderStory>[];
}

const sentence = (s: string): string => `${s.replace(/[\s.;:,]+$/u, '')}.`;

/** A success criterion as the sentence it states, without its id. */
function successStatement(b: SpecBlock): string {
  return clipCriterion(sentence(labelled(b).body));
}

function verificationStory(b: SpecBlock, notes: string): ReturnType<typeof renderStory> {
  const statement = labelled(b).body.replace(/[.;:]+$/u, '');
  const title = clipPhrase(`Verify ${b.requirementId ? `${b.requirementId}: ` : ''}${statement.charAt(0).toLocaleLowerCase()}${statement.slice(1)}`, 100);
  return {
    title,
    description: `Measure and report this outcome: ${b.text.trim()}\n\nFrom the page section: ${b.headingPath.join(' › ')}`,
    acceptanceCriteria: [successStatement(b)],
    estimate: estimateFor(wordCount(b.text), 1, 0),
    priority: priorityFor([b]),
    labels: [DRAFT_LABEL, 'verification'],
    components: [],
    dependsOn: [],
    sources: [b.id],
    notes,
    origin: 'drafter',
    subtasks: [],
  };
}

/** The breakdown of a page in the user-story template, or undefined when the page has another shape. */
export function draftByFeatures(doc: SpecDocument, note: string): Breakdown | undefined {
  const sections = new Map<string, SpecSection>(doc.sections.map((s) => [s.id, s]));
  const { features, featureOf } = findFeatures(doc, sections);
  if (features.length === 0 || features.length > LIMITS.epicsMax - 4) return undefined;

  // Context: requirement-looking blocks in clarifications, assumptions, the preamble; cited, not drafted.
  const isContext = (b: SpecBlock): boolean => {
    const s = sections.get(b.sectionId);
    if (!s || s.level === 0) return true;
    if (b.tags.includes('successCriterion') || b.tags.includes('edgeCase') || b.requirementId) return false;
    return s.headingPath.some((h) => CONTEXT_SECTION.test(h.replace(TEMPLATE_MARK, ''))) || (s.level === 1 && doc.sections.filter((x) => x.level === 1).length === 1);
  };
  const rest = doc.blocks.filter((b) => !featureOf.has(b.id));
  const context = rest.filter((b) => isRequirementBlock(b) && isContext(b));
  const contextIds = new Set(context.map((b) => b.id));
  // A lead-in ("This feature is successful when:") introduces the criteria; it is context, not one of them.
  const success = rest.filter((b) => b.tags.includes('successCriterion') && !b.parentBlockId && !/:\s*$/.test(b.text));
  for (const b of rest) {
    if (b.tags.includes('successCriterion') && !b.parentBlockId && /:\s*$/.test(b.text)) {
      context.push(b);
      contextIds.add(b.id);
    }
  }
  const successIds = new Set(success.map((b) => b.id));
  const draftable = rest.filter((b) => !contextIds.has(b.id) && !successIds.has(b.id));

  // Units per section, so that unassigned requirements keep the grouping the author gave them.
  const group: EpicGroup = { key: 'features', title: shortTitle(doc), headingPath: [] };
  const units = draftUnits(draftable, group, sections);

  const df = new Map<string, number>();
  for (const f of features) for (const t of f.terms) df.set(t, (df.get(t) ?? 0) + 1);
  const idf = (t: string): number => (df.has(t) ? Math.log((features.length + 1) / (df.get(t)! + 0.5)) : 0);

  const scenarios = scenariosById(doc.blocks);
  const epics: EpicDraft[] = features.map((f) => {
    const story = f.lead;
    const criteriaBlocks = f.blocks.filter((b) => b !== story && (b.tags.includes('gherkin') || b.tags.includes('acceptanceCriteria')));
    // Other blocks of the story (rationale, independent test, requirement-like remarks) are its context.
    const prose = f.blocks.filter((b) => b !== story && !criteriaBlocks.includes(b) && (isRequirementBlock(b) || (b.kind === 'paragraph' && !/^\s*acceptance\s+scenarios?\s*:?\s*$/i.test(b.text))));
    prose.sort((a, b) => Number(isRequirementBlock(b)) - Number(isRequirementBlock(a)));
    const storyDraft = renderStory(
      { kind: 'requirement', group, sectionId: story.sectionId, sectionTitle: f.title, headingPath: story.headingPath, tasks: [], members: [{ lead: story, blocks: [story], criteria: [], extra: [], lastWasGherkin: false }] },
      { from: 1, to: 1, scenarios },
    );
    // The user story's own story carries its acceptance scenarios.
    const cited = [story, ...criteriaBlocks];
    storyDraft.sources = cited.slice(0, LIMITS.sourcesMax).map((b) => b.id);
    if (criteriaBlocks.length > 0) storyDraft.acceptanceCriteria = criteriaBlocks.slice(0, LIMITS.criteriaMax).map((b) => clipCriterion(b.text));
    if (storyDraft.acceptanceCriteria.length > 0) storyDraft.notes = '';
    if (f.priority) storyDraft.priority = f.priority;
    storyDraft.estimate = estimateFor(cited.reduce((n, b) => n + wordCount(b.text), 0), storyDraft.acceptanceCriteria.length, 0);
    return {
      title: f.title,
      description: clipBlock([story.text.trim(), ...prose.map((b) => b.text.trim())].join('\n\n') + `\n\nDrafted from the page section "${f.section.headingPath.join(' › ')}".`, LIMITS.descriptionMax),
      ...(f.priority ? { priority: f.priority } : {}),
      criteria: [],
      sources: [...cited.slice(LIMITS.sourcesMax), ...prose].slice(0, LIMITS.sourcesMax).map((b) => b.id),
      drafts: [storyDraft],
    };
  });
  const byFeature = new Map(features.map((f, i) => [f, epics[i]!]));

  // Requirements, edge cases and tasks: under the story's epic they serve, else under their own section's epic.
  const sectionEpics = new Map<string, EpicDraft>();
  const sectionEpic = (sectionId: string): EpicDraft => {
    const s = sections.get(sectionId);
    const key = s?.id ?? '';
    let e = sectionEpics.get(key);
    if (!e) {
      const heading = (s?.title ?? '').replace(TEMPLATE_MARK, '').trim();
      const title = heading && !isTemplateHeading(heading) ? heading : `${shortTitle(doc)}: ${(heading || 'other requirements').toLocaleLowerCase()}`;
      e = { title: clipPhrase(title, 100), description: `Requirements of the page section "${s?.headingPath.join(' › ') ?? ''}" that no user story names.`, criteria: [], sources: [], drafts: [] };
      sectionEpics.set(key, e);
      epics.push(e);
    }
    return e;
  };
  for (const u of units) {
    const f = assign(u, features, idf);
    const target = f ? byFeature.get(f)! : sectionEpic(u.sectionId);
    target.drafts.push(renderStory(u, { from: 1, to: 1, scenarios }));
  }

  // Success criteria: acceptance criteria of the epic they measure, else verification stories.
  for (const b of success) {
    const unit: Unit = { kind: 'requirement', group, sectionId: b.sectionId, sectionTitle: '', headingPath: b.headingPath, tasks: [], members: [{ lead: b, blocks: [b], criteria: [], extra: [], lastWasGherkin: false }] };
    const f = assign(unit, features, idf);
    const e = f ? byFeature.get(f)! : undefined;
    if (e && e.criteria.length < LIMITS.criteriaMax && e.sources.length < LIMITS.sourcesMax) {
      e.criteria.push(successStatement(b));
      e.sources.push(b.id);
    } else {
      (e ?? sectionEpic(b.sectionId)).drafts.push(verificationStory(b, e ? 'The epic this outcome measures has no room for another criterion.' : 'No user story on the page names what this outcome measures.'));
    }
  }

  // Context blocks: cited by the epic whose story they are closest to, or by any item with room.
  for (const b of context) {
    const unit: Unit = { kind: 'requirement', group, sectionId: b.sectionId, sectionTitle: '', headingPath: b.headingPath, tasks: [], members: [{ lead: b, blocks: [b], criteria: [], extra: [], lastWasGherkin: false }] };
    const f = assign(unit, features, idf);
    const preferred = [...(f ? [byFeature.get(f)!] : []), ...epics];
    const host = preferred.find((e) => e.sources.length < LIMITS.sourcesMax);
    if (host) {
      host.sources.push(b.id);
      continue;
    }
    const story = epics.flatMap((e) => e.drafts).find((d) => d.sources.length < LIMITS.sourcesMax);
    if (!story) return undefined;
    story.sources.push(b.id);
  }

  const live = epics.filter((e) => e.drafts.length > 0);
  if (live.length > LIMITS.epicsMax || live.some((e) => e.drafts.length > LIMITS.storiesPerEpicMax)) return undefined;
  // Sources of an epic without stories would be lost: the fallback drafter handles such pages.
  if (epics.some((e) => e.drafts.length === 0 && e.sources.length > 0)) return undefined;

  const out: Epic[] = live.map((e, ei) => {
    const stories: Story[] = e.drafts.map((d, si) => ({
      ...d,
      id: `S${ei + 1}.${si + 1}`,
      subtasks: d.subtasks.map((t: Omit<Subtask, 'id'>, ti: number) => ({ ...t, id: `T${ei + 1}.${si + 1}.${ti + 1}` })),
    }));
    return {
      id: `E${ei + 1}`,
      title: e.title,
      description: e.description,
      acceptanceCriteria: e.criteria,
      estimate: null,
      priority: e.priority ?? highestPriority(stories.map((s) => s.priority)),
      labels: [DRAFT_LABEL],
      components: [],
      dependsOn: [],
      sources: e.sources,
      notes: '',
      origin: 'drafter',
      stories,
    };
  });
  const items = out.reduce((n, e) => n + 1 + e.stories.reduce((m, s) => m + 1 + s.subtasks.length, 0), 0);
  if (items > LIMITS.itemsMax) return undefined;
  return {
    schemaVersion: 1,
    title: clip(doc.title, LIMITS.titleMax),
    language: /^[a-z]{2,3}(-[A-Za-z0-9]+)?$/.test(doc.language) ? doc.language : 'en',
    generator: { kind: 'drafter', note },
    epics: out,
    warnings: [],
  };
}
