// Drafting a page of meeting notes (attendees, discussion, decisions, action items): the open action
// items are the work, so they become sub-tasks of one follow-up story, each with its assignee in a
// note; discussion and decisions are the context the epic cites, not stories of their own. Returns
// undefined for pages of another shape.

import { LIMITS } from '../breakdown/schema.ts';
import type { Breakdown, Subtask } from '../breakdown/schema.ts';
import { isRequirementBlock } from '../spec/types.ts';
import type { SpecBlock, SpecDocument } from '../spec/types.ts';
import { DRAFT_LABEL, highestPriority } from './storyDrafts.ts';
import { clip, clipBlock, clipCriterion, clipPhrase, estimateFor, priorityFor } from './storyText.ts';

const ACTION_HEADING = /action\s+items?|next\s+steps|to-?dos?|follow-?ups?|aufgaben|ma[ßs]nahmen|actions?\s+[àa]\s+mener|tareas|acciones/i;
const MEETING_HEADING = /attendees|participants|present|discussion|decisions?|agenda|minutes|notes|teilnehmer|besprechung|entscheidungen|participants|d[ée]cisions|ordre\s+du\s+jour|asistentes|decisiones|agenda/i;
export const ACTION_ITEM_LABEL = 'action-item';

/** Whether the page reads as meeting notes: an action-items section with open tasks, and a meeting section. */
export function isMeetingNotes(doc: SpecDocument): boolean {
  const headed = doc.sections.filter((s) => s.level > 0);
  const actions = headed.filter((s) => ACTION_HEADING.test(s.title));
  if (actions.length === 0 || !headed.some((s) => MEETING_HEADING.test(s.title) && !ACTION_HEADING.test(s.title))) return false;
  const actionIds = new Set(actions.map((s) => s.id));
  const blocks = doc.blocks.filter((b) => actionIds.has(b.sectionId));
  // Notes about a specification (with requirement ids or user stories) are a specification, not minutes.
  return blocks.some((b) => b.tags.includes('openTask')) && !doc.blocks.some((b) => b.requirementId || b.tags.includes('userStory'));
}

/** "@Dana Whitfield to send the proposal" → assignee "Dana Whitfield", action "Send the proposal". */
export function splitAssignee(text: string): { assignee?: string; unresolved: boolean; action: string } {
  const t = text.replace(/\s+/g, ' ').trim();
  const m = /^@([\p{L}][\p{L}\p{N}.' -]*?)\s*(?:[:,–—-]\s*|\s+(?:to|will|should|must|needs to)\s+)(.+)$/u.exec(t);
  if (!m) {
    const trailing = /^(.+?)\s*[(–—-]\s*@([\p{L}][\p{L}\p{N}.' -]*?)\)?$/u.exec(t);
    if (trailing) return { assignee: trailing[2]!.trim(), unresolved: trailing[2]!.trim() === 'user', action: trailing[1]!.trim() };
    return { unresolved: false, action: t };
  }
  const who = m[1]!.trim();
  const action = m[2]!.trim();
  return { assignee: who, unresolved: who === 'user', action: action.charAt(0).toLocaleUpperCase() + action.slice(1) };
}

function meetingName(doc: SpecDocument): string {
  if (doc.title && doc.title !== 'Untitled page') return doc.title;
  const first = doc.blocks.find((b) => b.kind === 'paragraph' && !doc.sections.find((s) => s.id === b.sectionId)?.level);
  return first ? first.text.replace(/\s+/g, ' ').trim() : 'Meeting';
}

export function draftMeetingNotes(doc: SpecDocument, note: string): Breakdown | undefined {
  if (!isMeetingNotes(doc)) return undefined;
  const actionSections = new Set(doc.sections.filter((s) => ACTION_HEADING.test(s.title)).map((s) => s.id));
  const actions = doc.blocks.filter((b) => b.tags.includes('openTask'));
  const context = doc.blocks.filter((b) => !actions.includes(b) && (isRequirementBlock(b) || (b.kind !== 'task' && !actionSections.has(b.sectionId))));
  const name = clipPhrase(meetingName(doc), 90);
  if (actions.length > LIMITS.subtasksPerStoryMax * LIMITS.storiesPerEpicMax) return undefined;

  const subtask = (b: SpecBlock): Omit<Subtask, 'id'> => {
    const { assignee, unresolved, action } = splitAssignee(b.text);
    const notes = assignee
      ? unresolved
        ? 'The page assigns this to a person whose name could not be looked up; set the assignee in Jira.'
        : `Assignee on the page: ${assignee}.`
      : 'No assignee on the page.';
    return {
      title: clipPhrase(action.replace(/[.;:]+$/u, ''), 100),
      description: b.text.trim(),
      acceptanceCriteria: [],
      estimate: null,
      priority: priorityFor([b]),
      labels: [DRAFT_LABEL, ACTION_ITEM_LABEL],
      components: [],
      dependsOn: [],
      sources: [b.id],
      notes,
      origin: 'drafter',
    };
  };

  const stories = [];
  for (let i = 0; i < actions.length; i += LIMITS.subtasksPerStoryMax) {
    const chunk = actions.slice(i, i + LIMITS.subtasksPerStoryMax);
    const n: number = stories.length + 1;
    const subtasks = chunk.map(subtask);
    stories.push({
      id: `S1.${n}`,
      title: clipPhrase(`Follow up on the action items of ${name}${i > 0 ? `, part ${n}` : ''}`, 100),
      description: `The open action items of the meeting notes, one sub-task each with its assignee:\n${chunk.map((b) => `- ${b.text.trim()}`).join('\n')}`,
      // Each action, as the notes state it, is a condition of done.
      acceptanceCriteria: subtasks.slice(0, LIMITS.criteriaMax).map((t) => clipCriterion(`The action item "${t.title}" is done.`)),
      estimate: estimateFor(chunk.reduce((w, b) => w + b.text.split(/\s+/).length, 0), subtasks.length, subtasks.length),
      priority: highestPriority(subtasks.map((t) => t.priority)),
      labels: [DRAFT_LABEL, ACTION_ITEM_LABEL],
      components: [],
      dependsOn: [],
      sources: [] as string[],
      notes: '',
      origin: 'drafter' as const,
      subtasks: subtasks.map((t, ti) => ({ ...t, id: `T1.${n}.${ti + 1}` })),
    });
  }
  // Discussion and decisions: cited by the epic, then by the stories while they have room.
  const cited = context.filter(isRequirementBlock);
  const epicSources = cited.slice(0, LIMITS.sourcesMax).map((b) => b.id);
  let rest = cited.slice(LIMITS.sourcesMax);
  for (const s of stories) {
    const room = LIMITS.sourcesMax - s.sources.length;
    s.sources.push(...rest.slice(0, room).map((b) => b.id));
    rest = rest.slice(room);
  }
  if (rest.length > 0) return undefined;
  const discussion = context.filter((b) => b.kind !== 'task').map((b) => `- ${b.text.replace(/\s+/g, ' ').trim()}`);
  return {
    schemaVersion: 1,
    title: clip(doc.title, LIMITS.titleMax),
    language: /^[a-z]{2,3}(-[A-Za-z0-9]+)?$/.test(doc.language) ? doc.language : 'en',
    generator: { kind: 'drafter', note },
    epics: [
      {
        id: 'E1',
        title: name,
        description: clipBlock(`Meeting notes: the open action items are sub-tasks; the rest of the notes, for context:\n${discussion.join('\n')}`, LIMITS.descriptionMax),
        acceptanceCriteria: [],
        estimate: null,
        priority: highestPriority(stories.map((s) => s.priority)),
        labels: [DRAFT_LABEL],
        components: [],
        dependsOn: [],
        sources: epicSources,
        notes: '',
        origin: 'drafter',
        stories,
      },
    ],
    warnings: [],
  };
}
