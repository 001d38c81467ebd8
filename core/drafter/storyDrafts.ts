// Drafting stories from the requirement blocks of one epic group, and writing them out as items.
// A draft ("unit") is one future story: its requirement(s), the acceptance criteria and Given/When/
// Then lines that follow them, and the open tasks of its section. Units can be packed (several
// requirements per story) when a page is too large for the item limits.

import { LIMITS } from '../breakdown/schema.ts';
import type { Priority, Story, Subtask } from '../breakdown/schema.ts';
import { PRIORITIES } from '../breakdown/schema.ts';
import { isRequirementBlock } from '../spec/types.ts';
import type { SpecBlock, SpecSection } from '../spec/types.ts';
import type { EpicGroup } from './epicGroups.ts';
import { clip, clipBlock, clipCriterion, clipPhrase, derivedCriterion, edgeCaseParts, edgeCaseSituation, fullTextOf, estimateFor, firstSentence, labelled, priorityFor, statementRewrite, titleFor, wordCount } from './storyText.ts';

export const DRAFT_LABEL = 'spec2tickets';

/** One requirement with what was attached to it. */
export interface Member {
  lead: SpecBlock;
  /** Every cited block: the lead first, then attached criteria. */
  blocks: SpecBlock[];
  criteria: string[];
  /** Extra description lines (attached text beyond the criteria, plain sub-items). */
  extra: string[];
  lastWasGherkin: boolean;
}

export interface TaskDraft {
  blocks: SpecBlock[];
}

export interface Unit {
  kind: 'requirement' | 'tasks';
  group: EpicGroup;
  sectionId: string;
  sectionTitle: string;
  headingPath: string[];
  members: Member[];
  tasks: TaskDraft[];
}

const GHERKIN_CONTINUATION = /^(and|but|when|then|und|aber|wenn|dann|et|mais|quand|alors|y|pero|cuando|entonces)\b/i;

function attach(m: Member, b: SpecBlock): boolean {
  if (m.blocks.length >= LIMITS.sourcesMax) return false;
  m.blocks.push(b);
  const text = b.text.replace(/\s+/g, ' ').trim();
  const isGherkin = b.tags.includes('gherkin');
  const last = m.criteria.length - 1;
  if (b.kind === 'task') {
    // A task under acceptance criteria is work, not a testable condition: keep it in the description.
    m.extra.push(`- [${b.done ? 'x' : ' '}] ${text}`);
  } else if (isGherkin && m.lastWasGherkin && GHERKIN_CONTINUATION.test(text) && last >= 0 && m.criteria[last]!.length + text.length + 2 <= LIMITS.criterionMax) {
    m.criteria[last] = `${m.criteria[last]}; ${text}`;
  } else if (m.criteria.length < LIMITS.criteriaMax) {
    m.criteria.push(clipCriterion(text));
    if (text.length > LIMITS.criterionMax) m.extra.push(text);
  } else {
    m.extra.push(`- ${text}`);
  }
  m.lastWasGherkin = isGherkin;
  return true;
}

function newMember(b: SpecBlock): Member {
  const m: Member = { lead: b, blocks: [b], criteria: [], extra: [], lastWasGherkin: false };
  // A Given/When/Then or criterion line with no story before it is its own criterion.
  if ((b.tags.includes('gherkin') || b.tags.includes('acceptanceCriteria')) && !b.tags.includes('userStory')) {
    m.criteria.push(clipCriterion(b.text));
    m.lastWasGherkin = b.tags.includes('gherkin');
  }
  return m;
}

/**
 * Units for the requirement blocks among `blocks` (one group, page order). Every requirement block
 * ends up cited by exactly one unit: as a story's lead, as an attached criterion, or as a task.
 */
export function draftUnits(blocks: SpecBlock[], group: EpicGroup, sections: Map<string, SpecSection>): Unit[] {
  const units: Unit[] = [];
  const lastInSection = new Map<string, Unit>();
  const tasksOfSection = new Map<string, Unit>();
  const memberOfBlock = new Map<string, Member>();
  let current: Member | undefined;

  const unitFor = (kind: Unit['kind'], b: SpecBlock): Unit => {
    const section = sections.get(b.sectionId);
    const u: Unit = {
      kind,
      group,
      sectionId: b.sectionId,
      sectionTitle: (section && section.level > 0 ? section.title : group.title) || group.title,
      headingPath: b.headingPath,
      members: [],
      tasks: [],
    };
    units.push(u);
    return u;
  };

  for (const b of blocks) {
    if (!isRequirementBlock(b)) {
      // Plain sub-items of a requirement ("supports: - CSV - PDF") belong to its description.
      const parent = b.parentBlockId ? memberOfBlock.get(b.parentBlockId) : undefined;
      if (parent) {
        parent.extra.push(`- ${b.text.replace(/\s+/g, ' ').trim()}`);
        memberOfBlock.set(b.id, parent);
      }
      continue;
    }
    if (b.tags.includes('openTask')) {
      const owner = lastInSection.get(b.sectionId);
      if (owner && owner.tasks.length < LIMITS.subtasksPerStoryMax) {
        owner.tasks.push({ blocks: [b] });
      } else {
        let t = tasksOfSection.get(b.sectionId);
        if (!t || t.tasks.length >= LIMITS.subtasksPerStoryMax) {
          t = unitFor('tasks', b);
          tasksOfSection.set(b.sectionId, t);
        }
        t.tasks.push({ blocks: [b] });
      }
      continue;
    }
    const parent = b.parentBlockId ? memberOfBlock.get(b.parentBlockId) : undefined;
    if (parent && attach(parent, b)) {
      memberOfBlock.set(b.id, parent);
      continue;
    }
    const isCriterion =
      b.tags.includes('acceptanceCriteria') || (b.tags.includes('gherkin') && !b.tags.includes('userStory') && !b.tags.includes('id'));
    if (isCriterion && current && attach(current, b)) {
      memberOfBlock.set(b.id, current);
      continue;
    }
    const u = unitFor('requirement', b);
    current = newMember(b);
    u.members.push(current);
    memberOfBlock.set(b.id, current);
    lastInSection.set(b.sectionId, u);
  }
  return units;
}

/**
 * Packs up to `k` consecutive units of the same kind into one (and up to `k` tasks into one
 * sub-task), never beyond the per-item limits. k = 1 leaves the units as they are. Units of
 * different groups are packed together only when `acrossGroups` (their groups share an epic).
 */
export function packUnits(units: Unit[], k: number, acrossGroups = false): Unit[] {
  if (k <= 1) return units;
  const packTasks = (tasks: TaskDraft[]): TaskDraft[] => {
    const out: TaskDraft[] = [];
    for (const t of tasks) {
      const last = out[out.length - 1];
      if (last && last.blocks.length + t.blocks.length <= Math.min(k, LIMITS.sourcesMax)) last.blocks.push(...t.blocks);
      else out.push({ blocks: [...t.blocks] });
    }
    return out;
  };
  const out: Unit[] = [];
  for (const u of units) {
    const last = out[out.length - 1];
    const sources = (x: Unit): number => x.members.reduce((n, m) => n + m.blocks.length, 0);
    const tasks = packTasks(u.tasks);
    if (
      last &&
      last.kind === u.kind &&
      (acrossGroups || last.group === u.group) &&
      Math.max(last.members.length, 1) + Math.max(u.members.length, 1) <= k &&
      sources(last) + sources(u) <= LIMITS.sourcesMax &&
      last.tasks.length + tasks.length <= LIMITS.subtasksPerStoryMax
    ) {
      last.members.push(...u.members);
      last.tasks = packTasks([...last.tasks, ...tasks]);
    } else {
      out.push({ ...u, members: [...u.members], tasks });
    }
  }
  return out;
}

const headingLine = (path: string[]): string => (path.length > 0 ? `\n\nFrom the page section: ${path.join(' › ')}` : '');

export interface RenderContext {
  /** 1-based positions of the unit's first and last requirement within its group, for packed titles. */
  from: number;
  to: number;
  notes?: string;
  /** Given/When/Then scenarios on the page by the requirement ids they mention. */
  scenarios?: ReadonlyMap<string, string[]>;
  /** Title for a user story from its own heading ("User Story 1 - Configure templates" → "Configure templates"). */
  storyHeading?: string;
}

export const NO_CRITERION_NOTE =
  'No acceptance criterion could be derived from the page for this requirement (no condition, limit, number or scenario that mentions it); add one before creating the issue.';

const lowerFirst = (s: string): string => (/^\p{Lu}(?:\p{Ll}|\s)/u.test(s) ? s.charAt(0).toLocaleLowerCase() + s.slice(1) : s);
const sentence = (s: string): string => (/[?!]\s*$/u.test(s) ? s.trim() : `${s.replace(/[\s.;:,]+$/u, '')}.`);

/** Given/When/Then scenarios of the page that name a requirement id ("… (FR-003)"), by that id. */
export function scenariosById(blocks: readonly SpecBlock[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const ID = /\b(?:FR|NFR|REQ|SC|US|UC|BR)-\d{1,5}\b/g;
  for (const b of blocks) {
    if (!b.tags.includes('gherkin')) continue;
    for (const id of new Set(b.text.match(ID) ?? [])) {
      if (id === b.requirementId) continue;
      const list = out.get(id) ?? [];
      list.push(clipCriterion(b.text));
      out.set(id, list);
    }
  }
  return out;
}

/**
 * Acceptance criteria from the requirement's own content: its attached criteria and scenarios, its
 * listed conditions, the answer to an edge-case question, the page's scenarios that name it, or its
 * statement as a testable sentence. When none of these exists, no criterion and a note saying so.
 */
export function criteriaOf(m: Member, ctx: Pick<RenderContext, 'scenarios'>): { criteria: string[]; note?: string } {
  const lead = m.lead;
  const statement = labelled(lead).body;
  const subItems = m.extra.filter((x) => x.startsWith('- ') && !x.startsWith('- [')).map((x) => x.slice(2).trim());
  const situation = lead.tags.includes('edgeCase') ? edgeCaseSituation(statement) : undefined;
  const parts = lead.tags.includes('edgeCase') ? edgeCaseParts(statement) : undefined;
  if (parts?.answer && !situation) {
    // "How are failures handled? → Logged and retried": the answer is the expected behaviour.
    return { criteria: [clipCriterion(sentence(`${parts.question} ${parts.answer}`))] };
  }
  if (situation) {
    const answers = [...(parts?.answer ? [parts.answer] : []), ...m.criteria, ...subItems];
    if (answers.length === 0) {
      return { criteria: [], note: `The page asks what happens when ${situation}, without an answer; decide the expected behaviour and add it as a criterion.` };
    }
    return { criteria: answers.slice(0, LIMITS.criteriaMax).map((a) => clipCriterion(sentence(`When ${situation}, ${lowerFirst(statementRewrite(a) ?? a)}`))) };
  }
  if (m.criteria.length > 0) return { criteria: m.criteria };
  if (subItems.length > 0 && /:\s*$/.test(statement)) {
    const head = statement.replace(/:\s*$/, '');
    const lead = (statementRewrite(head) ?? head).replace(/[.]+$/, '');
    const joiner = /\b(?:when|if|where|including|for|to|with|in|on|by|as|that|whether|unless)$/i.test(lead) ? ' ' : ': ';
    return { criteria: subItems.slice(0, LIMITS.criteriaMax).map((i) => clipCriterion(sentence(`${lead}${joiner}${joiner === ' ' ? lowerFirst(i) : i}`))) };
  }
  const mentioned = lead.requirementId ? ctx.scenarios?.get(lead.requirementId) : undefined;
  if (mentioned && mentioned.length > 0) return { criteria: mentioned.slice(0, LIMITS.criteriaMax) };
  const derived = derivedCriterion(lead);
  if (derived) return { criteria: [derived] };
  return { criteria: [], note: NO_CRITERION_NOTE };
}

/** The unit as a story (ids are assigned by the caller). */
export function renderStory(u: Unit, ctx: RenderContext): Omit<Story, 'id' | 'subtasks'> & { subtasks: Omit<Subtask, 'id'>[] } {
  const cited = u.members.flatMap((m) => m.blocks);
  const subtasks = u.tasks.map(renderSubtask);
  let title: string;
  let description: string;
  let criteria: string[];
  const notes: string[] = ctx.notes ? [ctx.notes] : [];
  if (u.kind === 'tasks' && u.members.length === 0) {
    title = clipPhrase(`${u.sectionTitle} tasks${ctx.from > 1 ? `, part ${ctx.from}` : ''}`, 100);
    description = `Open tasks listed on the page under "${u.headingPath.join(' › ') || u.sectionTitle}".`;
    // Each open task, as the page states it, is a condition of done.
    criteria = u.tasks.flatMap((t) => t.blocks).slice(0, LIMITS.criteriaMax).map((b) => clipCriterion(`The task "${b.text.replace(/\s+/g, ' ').trim().replace(/[.;:]+$/u, '')}" is done.`));
  } else if (u.members.length === 1) {
    const m = u.members[0]!;
    title = titleFor(m.lead, ctx.storyHeading);
    description = [fullTextOf(m.lead), ...m.extra].join('\n') + headingLine(m.lead.headingPath);
    const c = criteriaOf(m, ctx);
    criteria = c.criteria;
    if (c.note) notes.push(c.note);
  } else {
    const ids = u.members.map((m) => m.lead.requirementId).filter(Boolean);
    title = clip(
      ids.length === u.members.length ? `${u.sectionTitle}: ${ids[0]} to ${ids[ids.length - 1]}` : `${u.sectionTitle}: requirements ${ctx.from} to ${ctx.to}`,
      100,
    );
    description =
      u.members.map((m) => [`- ${m.lead.text.replace(/\s+/g, ' ').trim()}`, ...m.extra.map((x) => `  ${x}`)].join('\n')).join('\n') +
      headingLine(u.headingPath);
    const each = u.members.map((m) => criteriaOf(m, ctx));
    criteria = each.flatMap((c) => c.criteria).slice(0, LIMITS.criteriaMax);
    if (each.some((c) => c.note)) notes.push(`${each.filter((c) => c.note).length} of the ${u.members.length} requirements have no criterion the page states; add them before creating the issue.`);
  }
  const words = cited.reduce((n, b) => n + wordCount(b.text), 0);
  return {
    title,
    description: clipBlock(description, LIMITS.descriptionMax),
    acceptanceCriteria: criteria,
    estimate: estimateFor(words, criteria.length, subtasks.length),
    priority: cited.length > 0 ? priorityFor(cited) : 'Medium',
    labels: [DRAFT_LABEL],
    components: [],
    dependsOn: [],
    sources: cited.map((b) => b.id),
    notes: clip(notes.join(' '), LIMITS.notesMax),
    origin: 'drafter',
    subtasks,
  };
}

function renderSubtask(t: TaskDraft): Omit<Subtask, 'id'> {
  const first = t.blocks[0]!;
  const title =
    t.blocks.length === 1 ? titleFor(first) : `${clipPhrase(firstSentence(first.text).replace(/[.;:!]+$/u, ''), 80)} and ${t.blocks.length - 1} more tasks`;
  const description = t.blocks.length === 1 ? (first.text.trim() === title ? '' : first.text.trim()) : t.blocks.map((b) => `- ${b.text.trim()}`).join('\n');
  return {
    title,
    description: clipBlock(description, LIMITS.descriptionMax),
    acceptanceCriteria: [],
    estimate: null,
    priority: priorityFor(t.blocks),
    labels: [DRAFT_LABEL],
    components: [],
    dependsOn: [],
    sources: t.blocks.map((b) => b.id),
    notes: '',
    origin: 'drafter',
  };
}

/** The most urgent of the given priorities (Medium when there are none). */
export function highestPriority(ps: Priority[]): Priority {
  let best: number = PRIORITIES.length;
  for (const p of ps) best = Math.min(best, PRIORITIES.indexOf(p));
  return (PRIORITIES[best] as Priority | undefined) ?? 'Medium';
}
