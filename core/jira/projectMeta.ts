// What a Jira project accepts: its issue types with hierarchy levels (1 epic, 0 standard, -1
// sub-task; the same numbers for team-managed and company-managed projects), the fields each type
// requires or allows on create, the story-points field if there is one, and which issue type each
// breakdown level maps to.

import type { ItemLevel } from '../breakdown/schema.ts';
import { AtlassianError } from '../atlassian/site.ts';
import type { JiraClient } from './client.ts';

export interface FieldMeta {
  fieldId: string;
  name: string;
  required: boolean;
  hasDefaultValue: boolean;
  /** Jira field schema type ("string", "number", "array", "priority", "option", …). */
  type: string;
  custom?: string;
  /** Names (or values) of the allowed values, when Jira lists them. */
  allowedValues?: string[];
  /** What create accepts for the field ("set", "add", …), when Jira lists it. */
  operations?: string[];
}

export interface IssueTypeMeta {
  id: string;
  name: string;
  hierarchyLevel: number;
  subtask: boolean;
  /** Filled for the types metadata was read for (see readProjectMeta's `fieldsFor`). */
  fields?: Map<string, FieldMeta>;
}

export interface ProjectMeta {
  projectKey: string;
  projectId: string;
  name: string;
  teamManaged: boolean;
  issueTypes: IssueTypeMeta[];
}

export interface LevelMapping {
  epic: string;
  story: string;
  subtask: string;
}

const STORY_POINT_CUSTOM_TYPES = new Set([
  'com.pyxis.greenhopper.jira:jsw-story-points', // team-managed "Story point estimate"
  'com.atlassian.jira.plugin.system.customfieldtypes:float',
]);

/**
 * Reads project, issue types and (for the types a breakdown will use) their create fields.
 * Requests: 2 + one per type in `fieldsFor` (default: the types resolveLevelMapping picks).
 */
export async function readProjectMeta(client: JiraClient, projectKey: string, options: { overrides?: Partial<LevelMapping> } = {}): Promise<ProjectMeta> {
  if (!/^[A-Z][A-Z0-9_]{0,19}$/.test(projectKey)) {
    throw new AtlassianError('bad_request', `"${projectKey}" is not a Jira project key; keys are upper-case letters and digits such as PAY.`);
  }
  const project = await client.api.projects.getProject({ projectIdOrKey: projectKey });
  const types: IssueTypeMeta[] = [];
  for (let startAt = 0; ; ) {
    const page = await client.api.issues.getCreateIssueMetaIssueTypes({ projectIdOrKey: projectKey, startAt, maxResults: 50 });
    const list = page.issueTypes ?? [];
    for (const t of list) {
      if (!t.id || !t.name) continue;
      types.push({ id: t.id, name: t.name, hierarchyLevel: t.hierarchyLevel ?? (t.subtask ? -1 : 0), subtask: t.subtask ?? false });
    }
    startAt += list.length;
    if (list.length === 0 || page.total === undefined || startAt >= page.total) break;
  }
  const meta: ProjectMeta = {
    projectKey,
    projectId: String(project.id ?? ''),
    name: project.name ?? projectKey,
    teamManaged: project.style === 'next-gen' || project.simplified === true,
    issueTypes: types,
  };
  let wanted: string[];
  try {
    const m = resolveLevelMapping(meta, options.overrides);
    wanted = [...new Set([m.epic, m.story, m.subtask])];
  } catch {
    wanted = types.map((t) => t.id);
  }
  for (const id of wanted) {
    const t = types.find((x) => x.id === id)!;
    t.fields = await readFields(client, projectKey, id);
  }
  return meta;
}

async function readFields(client: JiraClient, projectKey: string, issueTypeId: string): Promise<Map<string, FieldMeta>> {
  const fields = new Map<string, FieldMeta>();
  for (let startAt = 0; ; ) {
    const page = await client.api.issues.getCreateIssueMetaIssueTypeId({ projectIdOrKey: projectKey, issueTypeId, startAt, maxResults: 200 });
    const list = page.fields ?? page.results ?? [];
    for (const f of list) {
      if (!f.fieldId) continue;
      const allowed = Array.isArray(f.allowedValues)
        ? f.allowedValues.map((v) => {
            const o = v as Record<string, unknown>;
            return String(o.name ?? o.value ?? o.key ?? o.id ?? '');
          })
        : undefined;
      fields.set(f.fieldId, {
        fieldId: f.fieldId,
        name: f.name ?? f.fieldId,
        required: f.required ?? false,
        hasDefaultValue: f.hasDefaultValue ?? false,
        type: f.schema?.type ?? 'unknown',
        ...(f.schema?.custom ? { custom: f.schema.custom } : {}),
        ...(allowed ? { allowedValues: allowed } : {}),
        ...(Array.isArray(f.operations) ? { operations: f.operations.map(String) } : {}),
      });
    }
    startAt += list.length;
    if (list.length === 0 || page.total === undefined || startAt >= page.total) break;
  }
  return fields;
}

/** The story-points field of an issue type, if the project has one on its create screen. */
export function storyPointsField(type: IssueTypeMeta): FieldMeta | undefined {
  const fields = [...(type.fields?.values() ?? [])];
  return (
    fields.find((f) => f.custom === 'com.pyxis.greenhopper.jira:jsw-story-points') ??
    fields.find((f) => /^story points?( estimate)?$|^story point estimate$/i.test(f.name) && (f.type === 'number' || STORY_POINT_CUSTOM_TYPES.has(f.custom ?? '')))
  );
}

/** Required fields the product does not fill itself: creation would fail without a value or default. */
export function unfillableRequiredFields(type: IssueTypeMeta): FieldMeta[] {
  const filled = new Set(['summary', 'issuetype', 'project', 'parent', 'description', 'labels', 'priority', 'reporter']);
  return [...(type.fields?.values() ?? [])].filter((f) => f.required && !f.hasDefaultValue && !filled.has(f.fieldId));
}

const LEVEL_WORDS: Record<ItemLevel, string> = { epic: 'epic', story: 'story', subtask: 'sub-task' };

/** Where an admin sets the issue type of each level: the Settings page field and its variable. */
export const MAPPING_SETTINGS: Record<ItemLevel, { label: string; env: string }> = {
  epic: { label: 'Issue type for epics', env: 'SPEC2TICKETS_ISSUE_TYPE_EPIC' },
  story: { label: 'Issue type for stories', env: 'SPEC2TICKETS_ISSUE_TYPE_STORY' },
  subtask: { label: 'Issue type for sub-tasks', env: 'SPEC2TICKETS_ISSUE_TYPE_SUBTASK' },
};

/** The sentence telling the admin how to point a level at another issue type. */
export function mappingHint(level: ItemLevel): string {
  const s = MAPPING_SETTINGS[level];
  return `set "${s.label}" in Settings (or ${s.env}) to another issue type of the project`;
}

/**
 * Picks the issue type for each breakdown level: overrides (id or name) first, then by hierarchy
 * level, preferring the conventional names (Epic; Story over Task; Sub-task/Subtask). The result
 * must still form a hierarchy Jira accepts: epics above stories, sub-tasks not above stories.
 */
export function resolveLevelMapping(meta: ProjectMeta, overrides: Partial<LevelMapping> = {}): LevelMapping {
  const available = () => meta.issueTypes.map((x) => x.name).join(', ');
  const pick = (level: ItemLevel, hierarchy: number, preferred: RegExp[]): string => {
    const override = overrides[level]?.trim();
    if (override) {
      const t = meta.issueTypes.find((x) => x.id === override || x.name.toLowerCase() === override.toLowerCase());
      if (!t) {
        throw new AtlassianError('bad_request', `Project ${meta.projectKey} has no issue type "${override}" ("${MAPPING_SETTINGS[level].label}" in Settings); available: ${available()}.`);
      }
      return t.id;
    }
    const candidates = meta.issueTypes.filter((t) => t.hierarchyLevel === hierarchy);
    for (const re of preferred) {
      const t = candidates.find((x) => re.test(x.name));
      if (t) return t.id;
    }
    const first = candidates[0];
    if (!first) {
      throw new AtlassianError('bad_request', `Project ${meta.projectKey} has no ${LEVEL_WORDS[level]} issue type (available: ${available()}); ${mappingHint(level)}.`);
    }
    return first.id;
  };
  const mapping = {
    epic: pick('epic', 1, [/^epic$/i]),
    story: pick('story', 0, [/^story$/i, /^task$/i]),
    subtask: pick('subtask', -1, [/^sub-?task$/i]),
  };
  const type = (level: ItemLevel) => meta.issueTypes.find((t) => t.id === mapping[level])!;
  const [epic, story, subtask] = [type('epic'), type('story'), type('subtask')];
  if (story.hierarchyLevel < 0) {
    throw new AtlassianError('bad_request', `Stories cannot be created as "${story.name}" in ${meta.projectKey}: it is a sub-task type and a story has no story above it; ${mappingHint('story')} (such as Story or Task).`);
  }
  if (epic.hierarchyLevel <= story.hierarchyLevel) {
    throw new AtlassianError('bad_request', `Epics cannot be created as "${epic.name}" in ${meta.projectKey} while stories are "${story.name}": an epic's type must sit above its stories' in the project's hierarchy; ${mappingHint('epic')} (such as Epic).`);
  }
  if (subtask.hierarchyLevel > story.hierarchyLevel) {
    throw new AtlassianError('bad_request', `Sub-tasks cannot be created as "${subtask.name}" in ${meta.projectKey}: it sits above the stories' type "${story.name}"; ${mappingHint('subtask')} (such as Sub-task or Task).`);
  }
  return mapping;
}

export function issueTypeById(meta: ProjectMeta, id: string): IssueTypeMeta {
  const t = meta.issueTypes.find((x) => x.id === id);
  if (!t) throw new AtlassianError('bad_request', `Project ${meta.projectKey} has no issue type with id ${id}.`);
  return t;
}
