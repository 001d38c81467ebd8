// A fake Atlassian site on 127.0.0.1 for tests and benchmarks: Confluence v2 page reads, the users
// lookup for mentions, and the Jira v3 endpoints the product uses, with state to seed and inspect, fault injection, and a contract
// check of every exchange against Atlassian's published OpenAPI documents.

import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AssertionError } from 'node:assert';
import { OpenApiContract } from './openapi.ts';
import { parseJql, words } from './jql.ts';
import type { JqlNode } from './jql.ts';

export interface FakeIssue {
  id: string;
  key: string;
  projectKey: string;
  issueTypeId: string;
  fields: Record<string, unknown>;
  parentKey?: string;
  labels: string[];
  properties: Record<string, unknown>;
  /** Jira timestamps ("2026-12-02T10:00:00.000+0000"); `updated` moves on every edit, comment, transition and link (on both issues). */
  created: string;
  updated: string;
  /** Workflow status name (see FAKE_TRANSITIONS). */
  status: string;
  comments: FakeComment[];
}

export interface FakeComment {
  id: string;
  /** The comment body (ADF). */
  body: unknown;
  created: string;
}

/** The fake workflow: every transition is available from every status and leads to the status of its name. */
export const FAKE_TRANSITIONS = [
  { id: '11', name: 'To Do', category: { id: 2, key: 'new', name: 'To Do' } },
  { id: '21', name: 'In Progress', category: { id: 4, key: 'indeterminate', name: 'In Progress' } },
  { id: '31', name: 'Done', category: { id: 3, key: 'done', name: 'Done' } },
  { id: '41', name: "Won't Do", category: { id: 3, key: 'done', name: 'Done' } },
] as const;

/**
 * A link between two issues, stored the way POST /issueLink names them: for "Blocks", the
 * `inwardKey` issue blocks the `outwardKey` issue (its issuelinks field shows the other as
 * outwardIssue, labelled "blocks").
 */
export interface FakeLink {
  id: string;
  type: string;
  inwardKey: string;
  outwardKey: string;
  /** How the link was made: by its own POST /issueLink, or as part of creating an issue. */
  createdWith: 'issueLink' | 'create';
}

export interface FakeRemoteLink {
  id: number;
  issueKey: string;
  globalId?: string;
  url: string;
  title: string;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  injected: boolean;
}

export interface FaultSpec {
  status: number;
  retryAfter?: number;
  times?: number;
  method?: string;
  /** Let the request take effect, then answer with the fault (a lost response). */
  afterHandling?: boolean;
}

interface Fault extends FaultSpec {
  pattern: RegExp;
  remaining: number;
  hang: boolean;
}

interface FakeField {
  fieldId: string;
  name: string;
  type: string;
  custom?: string;
  items?: string;
  required?: boolean;
  allowedValues?: { id: string; name: string }[];
  /** Operations createmeta lists; default ['set']. */
  operations?: string[];
}

interface FakeIssueType {
  id: string;
  name: string;
  hierarchyLevel: number;
  /** The create screen (createmeta). */
  fields: FakeField[];
  /** The edit screen (editmeta, and what an edit may set); absent: the create screen's fields. */
  editFields?: FakeField[];
}

export interface FakeProject {
  id: string;
  key: string;
  name: string;
  teamManaged: boolean;
  issueTypes: FakeIssueType[];
  nextNumber: number;
}

export interface FakeAtlassianOptions {
  latencyMs?: number;
  email?: string;
  apiToken?: string;
  /** Check every exchange against the OpenAPI documents (default true). */
  validate?: boolean;
  /**
   * Jira's search index lags behind writes: a new issue appears in JQL search only this many ms
   * after it was created (unless the search names it in reconcileIssues). Default 0.
   */
  searchLagMs?: number;
}

export interface FakeAtlassian {
  url: string;
  email: string;
  apiToken: string;
  close(): Promise<void>;
  addPage(page: { id: string; title: string; storage: string; version?: number }): void;
  /** A Confluence user the users-bulk lookup knows (for mentions in pages). */
  addUser(user: { accountId: string; displayName: string; publicName?: string }): void;
  addIssue(issue: { projectKey: string; summary: string; issueType?: string; labels?: string[]; description?: string }): FakeIssue;
  /** A person editing an issue in Jira: sets the fields (labels too) and moves its `updated` on. */
  editIssue(key: string, fields: Record<string, unknown>): FakeIssue;
  projects: Map<string, FakeProject>;
  issues: FakeIssue[];
  links: FakeLink[];
  remoteLinks: FakeRemoteLink[];
  requests: LoggedRequest[];
  violations: string[];
  assertNoViolations(): void;
  failNext(pathRegex: RegExp, fault: FaultSpec): void;
  /** The next matching request never gets an answer; with afterHandling it takes effect first (a reply lost in a crash). */
  hangNext(pathRegex: RegExp, options?: { times?: number; method?: string; afterHandling?: boolean }): void;
  setLatency(ms: number): void;
  /** See FakeAtlassianOptions.searchLagMs; applies to issues created from now on. */
  setSearchLag(ms: number): void;
  rejectField(fieldId: string, message: string): void;
  /** Removes pending faults and field rejections. */
  clearFaults(): void;
  /** Requests whose path matches, e.g. count(/issue\/bulk$/). */
  count(pathRegex: RegExp, method?: string): number;
}

const LINK_TYPES = ['Blocks', 'Relates', 'Duplicate', 'Cloners'];
const PRIORITIES = ['Highest', 'High', 'Medium', 'Low', 'Lowest'].map((name, i) => ({ id: String(i + 1), name }));

const f = {
  summary: { fieldId: 'summary', name: 'Summary', type: 'string', required: true },
  issuetype: { fieldId: 'issuetype', name: 'Issue Type', type: 'issuetype', required: true },
  project: { fieldId: 'project', name: 'Project', type: 'project', required: true },
  description: { fieldId: 'description', name: 'Description', type: 'string' },
  labels: { fieldId: 'labels', name: 'Labels', type: 'array', items: 'string' },
  parent: { fieldId: 'parent', name: 'Parent', type: 'issuelink' },
  priority: { fieldId: 'priority', name: 'Priority', type: 'priority', allowedValues: PRIORITIES },
  timetracking: { fieldId: 'timetracking', name: 'Time tracking', type: 'timetracking' },
  issuelinks: { fieldId: 'issuelinks', name: 'Linked Issues', type: 'array', items: 'issuelinks', operations: ['add'] },
} satisfies Record<string, FakeField>;

function defaultProjects(): FakeProject[] {
  const common = [f.summary, f.issuetype, f.project, f.description, f.labels];
  const storyPoints: FakeField = { fieldId: 'customfield_10016', name: 'Story Points', type: 'number', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:float' };
  const estimate: FakeField = { fieldId: 'customfield_10026', name: 'Story point estimate', type: 'number', custom: 'com.pyxis.greenhopper.jira:jsw-story-points' };
  return [
    {
      id: '10000', key: 'PAY', name: 'Payments', teamManaged: false, nextNumber: 1,
      issueTypes: [
        { id: '10000', name: 'Epic', hierarchyLevel: 1, fields: [...common, f.priority, f.issuelinks] },
        { id: '10001', name: 'Story', hierarchyLevel: 0, fields: [...common, f.parent, f.priority, storyPoints, f.issuelinks] },
        { id: '10002', name: 'Task', hierarchyLevel: 0, fields: [...common, f.parent, f.priority, f.issuelinks] },
        { id: '10003', name: 'Bug', hierarchyLevel: 0, fields: [...common, f.parent, f.priority, f.issuelinks] },
        { id: '10004', name: 'Sub-task', hierarchyLevel: -1, fields: [...common, f.parent, f.priority, f.timetracking, f.issuelinks] },
      ],
    },
    // Linked Issues is not on this project's create screens: links need their own requests.
    {
      id: '10100', key: 'TEAM', name: 'Team board', teamManaged: true, nextNumber: 1,
      issueTypes: [
        { id: '10101', name: 'Epic', hierarchyLevel: 1, fields: [...common] },
        { id: '10102', name: 'Task', hierarchyLevel: 0, fields: [...common, f.parent, estimate] },
        { id: '10103', name: 'Story', hierarchyLevel: 0, fields: [...common, f.parent, estimate] },
        { id: '10104', name: 'Subtask', hierarchyLevel: -1, fields: [...common, f.parent] },
      ],
    },
    {
      id: '10200', key: 'OPS', name: 'Operations', teamManaged: false, nextNumber: 1,
      issueTypes: [
        { id: '10201', name: 'Epic', hierarchyLevel: 1, fields: [...common] },
        { id: '10202', name: 'Task', hierarchyLevel: 0, fields: [...common, f.parent] },
      ],
    },
    // Stories here require a custom field without a default, which the product cannot fill; Tasks do not.
    {
      id: '10300', key: 'REQ', name: 'Regulated', teamManaged: false, nextNumber: 1,
      issueTypes: [
        { id: '10301', name: 'Epic', hierarchyLevel: 1, fields: [...common] },
        {
          id: '10302', name: 'Story', hierarchyLevel: 0,
          fields: [...common, f.parent, { fieldId: 'customfield_10050', name: 'Compliance owner', type: 'option', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:select', required: true, allowedValues: [{ id: '1', name: 'Legal' }, { id: '2', name: 'Risk' }] }],
        },
        { id: '10303', name: 'Task', hierarchyLevel: 0, fields: [...common, f.parent] },
        { id: '10304', name: 'Sub-task', hierarchyLevel: -1, fields: [...common, f.parent] },
      ],
    },
    // No Description on any create screen: issues are created with summary, labels and parent only.
    {
      id: '10400', key: 'LEAN', name: 'Lean intake', teamManaged: false, nextNumber: 1,
      issueTypes: [
        { id: '10401', name: 'Epic', hierarchyLevel: 1, fields: [f.summary, f.issuetype, f.project, f.labels, f.priority] },
        { id: '10402', name: 'Story', hierarchyLevel: 0, fields: [f.summary, f.issuetype, f.project, f.labels, f.parent, f.priority] },
        { id: '10403', name: 'Sub-task', hierarchyLevel: -1, fields: [f.summary, f.issuetype, f.project, f.labels, f.parent] },
      ],
    },
    // A short intake form: no Description when an issue is created, but the edit screens have it
    // (details are added once the work item is triaged).
    {
      id: '10500', key: 'TRI', name: 'Triage', teamManaged: false, nextNumber: 1,
      issueTypes: [
        { id: '10501', name: 'Epic', hierarchyLevel: 1, fields: [f.summary, f.issuetype, f.project, f.labels, f.priority], editFields: [f.summary, f.issuetype, f.project, f.description, f.labels, f.priority] },
        { id: '10502', name: 'Story', hierarchyLevel: 0, fields: [f.summary, f.issuetype, f.project, f.labels, f.parent, f.priority], editFields: [f.summary, f.issuetype, f.project, f.description, f.labels, f.parent, f.priority] },
        { id: '10503', name: 'Sub-task', hierarchyLevel: -1, fields: [f.summary, f.issuetype, f.project, f.labels, f.parent], editFields: [f.summary, f.issuetype, f.project, f.description, f.labels, f.parent] },
      ],
    },
    // Labels only when an issue is created: the edit screens leave them out (labels are kept by an
    // automation), so an edit cannot set a label — Jira refuses it (400) as not on the screen.
    {
      id: '10600', key: 'TAG', name: 'Tagged at intake', teamManaged: false, nextNumber: 1,
      issueTypes: [
        { id: '10601', name: 'Epic', hierarchyLevel: 1, fields: [...common, f.priority], editFields: [f.summary, f.issuetype, f.project, f.description, f.priority] },
        { id: '10602', name: 'Story', hierarchyLevel: 0, fields: [...common, f.parent, f.priority], editFields: [f.summary, f.issuetype, f.project, f.description, f.parent, f.priority] },
        { id: '10603', name: 'Sub-task', hierarchyLevel: -1, fields: [...common, f.parent], editFields: [f.summary, f.issuetype, f.project, f.description, f.parent] },
      ],
    },
  ];
}

class HttpFailure {
  constructor(readonly status: number, readonly body?: unknown) {}
}

export async function startFakeAtlassian(options: FakeAtlassianOptions = {}): Promise<FakeAtlassian> {
  const email = options.email ?? 'bot@example.com';
  const apiToken = options.apiToken ?? 'fake-token-123';
  const validate = options.validate ?? true;
  const contract = validate ? new OpenApiContract() : undefined;
  const expectedAuth = `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`;
  let latency = options.latencyMs ?? 0;
  let searchLag = options.searchLagMs ?? 0;
  /** When each issue becomes visible to JQL search (absent: at once). */
  const searchableAt = new Map<string, number>();
  let base = '';

  const pages = new Map<string, { id: string; title: string; storage: string; version: number }[]>();
  const users = new Map<string, { accountId: string; displayName: string; publicName: string }>();
  const projects = new Map(defaultProjects().map((p) => [p.key, p]));
  const issues: FakeIssue[] = [];
  const links: FakeLink[] = [];
  const remoteLinks: FakeRemoteLink[] = [];
  const requests: LoggedRequest[] = [];
  const violations: string[] = [];
  const faults: Fault[] = [];
  const rejected = new Map<string, string>();
  const hanging = new Set<ServerResponse>();
  let nextIssueId = 10001;
  let nextLinkId = 20001;
  let nextRemoteId = 30001;

  const issueByKey = (k: string) => issues.find((i) => i.key === k || i.id === k);
  // Jira's timestamps, strictly increasing so an edit right after another still reads as later.
  let lastStamp = 0;
  const stamp = () => {
    lastStamp = Math.max(Date.now(), lastStamp + 1);
    return new Date(lastStamp).toISOString().replace('Z', '+0000');
  };
  let nextCommentId = 40001;
  const typeOf = (i: FakeIssue) => projects.get(i.projectKey)!.issueTypes.find((t) => t.id === i.issueTypeId)!;
  /** What the issue's edit screen lets an edit set: project and issue type are changed by a move, not an edit. */
  const editScreen = (i: FakeIssue) => (typeOf(i).editFields ?? typeOf(i).fields).filter((x) => x.fieldId !== 'project' && x.fieldId !== 'issuetype');

  function addPage(page: { id: string; title: string; storage: string; version?: number }): void {
    const list = pages.get(page.id) ?? [];
    list.push({ id: page.id, title: page.title, storage: page.storage, version: page.version ?? (list.at(-1)?.version ?? 0) + 1 });
    pages.set(page.id, list);
  }

  function insertIssue(project: FakeProject, type: FakeIssueType, fields: Record<string, unknown>, properties: Record<string, unknown>): FakeIssue {
    const issue: FakeIssue = {
      id: String(nextIssueId++),
      key: `${project.key}-${project.nextNumber++}`,
      projectKey: project.key,
      issueTypeId: type.id,
      fields,
      labels: Array.isArray(fields.labels) ? (fields.labels as string[]) : [],
      properties,
      created: '',
      updated: '',
      status: 'To Do',
      comments: [],
    };
    issue.created = issue.updated = stamp();
    const parent = fields.parent as { key?: string; id?: string } | undefined;
    if (parent) issue.parentKey = issueByKey(parent.key ?? parent.id ?? '')!.key;
    if (searchLag > 0) searchableAt.set(issue.id, Date.now() + searchLag);
    issues.push(issue);
    return issue;
  }

  function addIssue(spec: { projectKey: string; summary: string; issueType?: string; labels?: string[]; description?: string }): FakeIssue {
    const project = projects.get(spec.projectKey);
    if (!project) throw new Error(`fake Jira has no project ${spec.projectKey}`);
    const type = project.issueTypes.find((t) => t.name === (spec.issueType ?? 'Task')) ?? project.issueTypes.find((t) => t.hierarchyLevel === 0)!;
    const description = spec.description
      ? { version: 1, type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: spec.description }] }] }
      : undefined;
    return insertIssue(project, type, { summary: spec.summary, labels: spec.labels ?? [], ...(description ? { description } : {}) }, {});
  }

  /** Jira's create validation: returns the created issue, or field errors like Jira's. */
  function createOne(body: unknown): { issue?: FakeIssue; errors: Record<string, string>; errorMessages: string[] } {
    const errors: Record<string, string> = {};
    const errorMessages: string[] = [];
    const b = (body ?? {}) as { fields?: Record<string, unknown>; update?: Record<string, unknown>; properties?: { key: string; value: unknown }[] };
    const fields = b.fields ?? {};
    const update = b.update ?? {};
    const pref = fields.project as { key?: string; id?: string } | undefined;
    const project = [...projects.values()].find((p) => p.key === pref?.key || p.id === pref?.id);
    if (!project) return { errors: { project: 'valid project is required' }, errorMessages };
    const tref = fields.issuetype as { id?: string; name?: string } | undefined;
    const type = project.issueTypes.find((t) => t.id === tref?.id || t.name === tref?.name);
    if (!type) return { errors: { issuetype: 'Specify a valid issue type' }, errorMessages };
    for (const key of Object.keys(fields)) {
      if (!type.fields.some((x) => x.fieldId === key)) errors[key] = `Field '${key}' cannot be set. It is not on the appropriate screen, or unknown.`;
      else if (rejected.has(key)) errors[key] = rejected.get(key)!;
    }
    for (const key of Object.keys(update)) {
      if (key in fields) errors[key] = `Field '${key}' cannot be in both fields and update.`;
      else if (!type.fields.some((x) => x.fieldId === key)) errors[key] = `Field '${key}' cannot be set. It is not on the appropriate screen, or unknown.`;
      else if (rejected.has(key)) errors[key] = rejected.get(key)!;
    }
    for (const req of type.fields.filter((x) => x.required)) if (fields[req.fieldId] === undefined) errors[req.fieldId] = `${req.name} is required.`;
    // Links made with the issue: each operation adds one link between the new issue and an existing one.
    const newLinks: { type: string; other: FakeIssue; otherIs: 'inward' | 'outward' }[] = [];
    if (update.issuelinks !== undefined && !errors.issuelinks) {
      const ops = Array.isArray(update.issuelinks) ? (update.issuelinks as { add?: { type?: { name?: string; id?: string }; inwardIssue?: { key?: string; id?: string }; outwardIssue?: { key?: string; id?: string } } }[]) : [];
      if (!Array.isArray(update.issuelinks)) errors.issuelinks = 'Linked Issues takes a list of operations.';
      for (const op of ops) {
        const add = op?.add;
        const ref = add?.inwardIssue ?? add?.outwardIssue;
        const typeName = add?.type?.name ?? (add?.type?.id === '10000' ? 'Blocks' : undefined);
        const other = ref ? issueByKey(ref.key ?? ref.id ?? '') : undefined;
        if (!add || Object.keys(op).length !== 1) errors.issuelinks = 'Only the add operation is supported for Linked Issues on create.';
        else if (!typeName || !LINK_TYPES.includes(typeName)) errors.issuelinks = `No issue link type with name '${add.type?.name ?? add.type?.id}' found.`;
        else if (!ref || (add.inwardIssue && add.outwardIssue)) errors.issuelinks = 'Give either inwardIssue or outwardIssue for each link.';
        else if (!other) errors.issuelinks = `Issue '${ref.key ?? ref.id}' does not exist or you do not have permission to see it.`;
        else newLinks.push({ type: typeName, other, otherIs: add.inwardIssue ? 'inward' : 'outward' });
      }
    }
    const summary = fields.summary;
    if (typeof summary !== 'string' || !summary.trim()) errors.summary = 'You must specify a summary of the issue.';
    else if (summary.length > 255) errors.summary = 'Summary must be less than 255 characters.';
    if (fields.description !== undefined) {
      const d = fields.description as { type?: string; version?: number; content?: unknown };
      if (!d || typeof d !== 'object' || d.type !== 'doc' || d.version !== 1 || !Array.isArray(d.content)) errors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format).';
    }
    if (fields.labels !== undefined && (!Array.isArray(fields.labels) || fields.labels.some((l) => typeof l !== 'string' || /\s/.test(l) || l.length > 255)))
      errors.labels = 'Labels must be strings without spaces.';
    if (fields.priority !== undefined) {
      const p = fields.priority as { name?: string; id?: string };
      if (!PRIORITIES.some((x) => x.name === p?.name || x.id === p?.id)) errors.priority = `Specify a valid priority (${JSON.stringify(p)}).`;
    }
    for (const fld of type.fields.filter((x) => x.type === 'number')) {
      if (fields[fld.fieldId] !== undefined && typeof fields[fld.fieldId] !== 'number') errors[fld.fieldId] = `${fld.name} must be a number.`;
    }
    const parentRef = fields.parent as { key?: string; id?: string } | undefined;
    if (type.hierarchyLevel === -1 && !parentRef) errors.parent = 'Sub-tasks must be created with a parent.';
    if (parentRef) {
      const parent = issueByKey(parentRef.key ?? parentRef.id ?? '');
      if (!parent || parent.projectKey !== project.key) errors.parent = `Could not find parent work item ${parentRef.key ?? parentRef.id}.`;
      else if (typeOf(parent).hierarchyLevel !== type.hierarchyLevel + 1) errors.parent = 'Given parent work item does not belong to appropriate hierarchy.';
    }
    if (Object.keys(errors).length || errorMessages.length) return { errors, errorMessages };
    const properties: Record<string, unknown> = {};
    for (const p of b.properties ?? []) properties[p.key] = p.value;
    const issue = insertIssue(project, type, structuredClone(fields), properties);
    for (const l of newLinks) {
      // The new issue sees the other as inwardIssue ("is blocked by" it) or as outwardIssue ("blocks" it).
      const [inwardKey, outwardKey] = l.otherIs === 'inward' ? [l.other.key, issue.key] : [issue.key, l.other.key];
      links.push({ id: String(nextLinkId++), type: l.type, inwardKey, outwardKey, createdWith: 'create' });
      // A link is in both issues' history, as in Jira: the issue linked to is updated too.
      l.other.updated = stamp();
    }
    return { issue, errors, errorMessages };
  }

  function issueFields(issue: FakeIssue, wanted: string[] | 'all'): Record<string, unknown> {
    const project = projects.get(issue.projectKey)!;
    const type = typeOf(issue);
    const parent = issue.parentKey ? issueByKey(issue.parentKey) : undefined;
    const all: Record<string, unknown> = {
      ...issue.fields,
      summary: issue.fields.summary,
      labels: issue.labels,
      project: { id: project.id, key: project.key, name: project.name },
      issuetype: { id: type.id, name: type.name, hierarchyLevel: type.hierarchyLevel, subtask: type.hierarchyLevel === -1 },
      parent: parent ? { id: parent.id, key: parent.key } : undefined,
      created: issue.created,
      updated: issue.updated,
      status: statusJson(issue.status),
      issuelinks: links
        .filter((l) => l.inwardKey === issue.key || l.outwardKey === issue.key)
        .map((l) => {
          const t = { id: '10000', name: l.type, inward: 'is blocked by', outward: 'blocks' };
          return l.inwardKey === issue.key
            ? { id: l.id, type: t, outwardIssue: { id: issueByKey(l.outwardKey)!.id, key: l.outwardKey } }
            : { id: l.id, type: t, inwardIssue: { id: issueByKey(l.inwardKey)!.id, key: l.inwardKey } };
        }),
    };
    if (wanted === 'all' || wanted.includes('*all')) return JSON.parse(JSON.stringify(all)) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const w of wanted) if (all[w] !== undefined) out[w] = all[w];
    return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
  }

  function matches(issue: FakeIssue, node: JqlNode): boolean {
    if (node.kind === 'and') return node.items.every((n) => matches(issue, n));
    if (node.kind === 'or') return node.items.some((n) => matches(issue, n));
    if (node.kind === 'not') return !matches(issue, node.item);
    if (node.kind !== 'clause') return false;
    const { field, op, values } = node;
    const v = values.map((x) => x.toLowerCase());
    let actual: string[];
    let textValue = '';
    switch (field) {
      case 'project':
        actual = [issue.projectKey.toLowerCase(), projects.get(issue.projectKey)!.id];
        break;
      case 'labels':
        actual = issue.labels.map((l) => l.toLowerCase());
        break;
      case 'key':
      case 'issuekey':
        actual = [issue.key.toLowerCase(), issue.id];
        break;
      case 'issuetype':
        actual = [typeOf(issue).name.toLowerCase(), issue.issueTypeId];
        break;
      case 'parent':
        actual = issue.parentKey ? [issue.parentKey.toLowerCase()] : [];
        break;
      case 'summary':
        actual = [];
        textValue = String(issue.fields.summary ?? '');
        break;
      case 'text':
        actual = [];
        textValue = `${String(issue.fields.summary ?? '')} ${JSON.stringify(issue.fields.description ?? '')}`;
        break;
      default:
        throw new HttpFailure(400, { errorMessages: [`Field '${field}' does not exist or you do not have permission to view it.`] });
    }
    switch (op) {
      case '=':
        return v.some((x) => actual.includes(x));
      case '!=':
        return !v.some((x) => actual.includes(x));
      case 'in':
        return v.some((x) => actual.includes(x));
      case 'not in':
        return !v.some((x) => actual.includes(x));
      case 'is':
        return actual.length === 0;
      case 'is not':
        return actual.length > 0;
      case '~': {
        if (field !== 'summary' && field !== 'text') throw new HttpFailure(400, { errorMessages: [`The operator '~' is not supported by the '${field}' field.`] });
        const have = new Set(words(textValue));
        const need = words(values[0] ?? '');
        // Jira stems words; prefix matching is close enough for the fake.
        return need.length > 0 && need.every((w) => have.has(w) || [...have].some((h) => h.startsWith(w) || w.startsWith(h)));
      }
    }
    return false;
  }

  function search(params: { jql?: string; nextPageToken?: string; maxResults?: number; fields?: string[]; properties?: string[]; reconcileIssues?: number[] }): unknown {
    let node: JqlNode | null;
    try {
      node = parseJql(params.jql ?? '');
    } catch (err) {
      throw new HttpFailure(400, { errorMessages: [(err as Error).message] });
    }
    const now = Date.now();
    const reconcile = new Set((params.reconcileIssues ?? []).map(String));
    const indexed = (i: FakeIssue) => reconcile.has(i.id) || (searchableAt.get(i.id) ?? 0) <= now;
    const found = issues.filter((i) => indexed(i) && (node ? matches(i, node) : true));
    const max = Math.min(Math.max(params.maxResults ?? 50, 1), 100);
    const start = params.nextPageToken ? Number(Buffer.from(params.nextPageToken, 'base64url').toString()) : 0;
    const page = found.slice(start, start + max);
    const fieldsWanted = (params.fields ?? []).flatMap((x) => x.split(',')).filter(Boolean);
    const propsWanted = (params.properties ?? []).flatMap((x) => x.split(',')).filter(Boolean);
    const isLast = start + max >= found.length;
    return {
      issues: page.map((i) => ({
        id: i.id,
        key: i.key,
        self: `${base}/rest/api/3/issue/${i.id}`,
        ...(fieldsWanted.length ? { fields: issueFields(i, fieldsWanted) } : {}),
        ...(propsWanted.length ? { properties: Object.fromEntries(propsWanted.filter((p) => p in i.properties).map((p) => [p, i.properties[p]])) } : {}),
      })),
      isLast,
      ...(isLast ? {} : { nextPageToken: Buffer.from(String(start + max)).toString('base64url') }),
    };
  }

  const fieldMeta = (x: FakeField) => ({
    fieldId: x.fieldId,
    key: x.fieldId,
    name: x.name,
    required: x.required ?? false,
    hasDefaultValue: x.fieldId === 'priority',
    operations: x.operations ?? ['set'],
    schema: { type: x.type, ...(x.items ? { items: x.items } : {}), ...(x.custom ? { custom: x.custom, customId: Number(x.fieldId.replace(/\D/g, '')) } : { system: x.fieldId }) },
    ...(x.allowedValues ? { allowedValues: x.allowedValues.map((v) => ({ ...v, self: `${base}/rest/api/3/priority/${v.id}` })) } : {}),
  });
  /** Editmeta's form of a field: no fieldId, and the operations an edit offers on it. */
  const editFieldMeta = (x: FakeField) => {
    const { fieldId: _fieldId, ...rest } = fieldMeta(x);
    const operations = x.fieldId === 'labels' ? ['add', 'set', 'remove'] : x.fieldId === 'timetracking' ? ['set', 'edit'] : x.operations ?? ['set'];
    return { ...rest, operations };
  };
  const typeJson = (p: FakeProject, t: FakeIssueType) => ({
    id: t.id,
    name: t.name,
    description: `${t.name} in ${p.name}`,
    hierarchyLevel: t.hierarchyLevel,
    subtask: t.hierarchyLevel === -1,
    iconUrl: `${base}/images/icons/issuetypes/${t.id}.png`,
    self: `${base}/rest/api/3/issuetype/${t.id}`,
  });
  const projectOr404 = (k: string) => {
    const p = [...projects.values()].find((x) => x.key === k || x.id === k);
    if (!p) throw new HttpFailure(404, { errorMessages: [`No project could be found with key '${k}'.`], errors: {} });
    return p;
  };
  const statusJson = (name: string) => {
    const t = FAKE_TRANSITIONS.find((x) => x.name === name) ?? FAKE_TRANSITIONS[0];
    return { id: String(10000 + Number(t.id)), name: t.name, self: `${base}/rest/api/3/status/${10000 + Number(t.id)}`, statusCategory: { ...t.category, self: `${base}/rest/api/3/statuscategory/${t.category.id}` } };
  };
  const isAdf = (d: unknown) => {
    const x = d as { type?: string; version?: number; content?: unknown } | null;
    return !!x && typeof x === 'object' && x.type === 'doc' && x.version === 1 && Array.isArray(x.content);
  };
  const commentJson = (i: FakeIssue, c: FakeComment) => ({
    id: c.id,
    self: `${base}/rest/api/3/issue/${i.id}/comment/${c.id}`,
    author: { accountId: 'acc-bot', displayName: 'Spec bot', active: true, self: `${base}/rest/api/3/user?accountId=acc-bot` },
    body: c.body,
    created: c.created,
    updated: c.created,
    jsdPublic: true,
  });
  /**
   * Jira's edit: `fields` set values, `update` applies operations (labels add/remove/set, set on any
   * field); a field must be on the issue type's screen, and the same field cannot be in both.
   */
  function editOne(issue: FakeIssue, body: unknown): Record<string, string> {
    const b = (body ?? {}) as { fields?: Record<string, unknown>; update?: Record<string, { add?: unknown; remove?: unknown; set?: unknown }[]> };
    const fields = b.fields ?? {};
    const update = b.update ?? {};
    const errors: Record<string, string> = {};
    const screen = editScreen(issue);
    const onScreen = (k: string) => screen.some((x) => x.fieldId === k);
    for (const k of [...Object.keys(fields), ...Object.keys(update)]) {
      if (!onScreen(k)) errors[k] = `Field '${k}' cannot be set. It is not on the appropriate screen, or unknown.`;
      else if (rejected.has(k)) errors[k] = rejected.get(k)!;
      else if (k in fields && k in update) errors[k] = `Field '${k}' cannot be in both fields and update.`;
    }
    if ('summary' in fields && (typeof fields.summary !== 'string' || !fields.summary.trim() || fields.summary.length > 255)) errors.summary = 'You must specify a summary of the issue (at most 255 characters).';
    if ('description' in fields && fields.description !== null && !isAdf(fields.description)) errors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format).';
    for (const fld of screen.filter((x) => x.type === 'number')) {
      if (fields[fld.fieldId] !== undefined && fields[fld.fieldId] !== null && typeof fields[fld.fieldId] !== 'number') errors[fld.fieldId] = `${fld.name} must be a number.`;
    }
    let labels = [...issue.labels];
    for (const op of Array.isArray(update.labels) ? update.labels : []) {
      const ops = Object.keys(op ?? {});
      if (ops.length !== 1 || !['add', 'remove', 'set'].includes(ops[0]!)) errors.labels = 'Labels take one add, remove or set per operation.';
      else if (op.add !== undefined) {
        if (typeof op.add !== 'string' || /\s/.test(op.add)) errors.labels = 'Labels must be strings without spaces.';
        else if (!labels.includes(op.add)) labels.push(op.add);
      } else if (op.remove !== undefined) labels = labels.filter((l) => l !== op.remove);
      else if (Array.isArray(op.set)) labels = op.set.map(String);
    }
    if (Object.keys(errors).length) return errors;
    for (const [k, v] of Object.entries(fields)) {
      if (k === 'labels') labels = Array.isArray(v) ? v.map(String) : labels;
      else issue.fields[k] = structuredClone(v);
    }
    for (const [k, ops] of Object.entries(update)) {
      if (k === 'labels') continue;
      for (const op of ops) if ('set' in op) issue.fields[k] = structuredClone(op.set);
    }
    issue.labels = labels;
    issue.fields.labels = labels;
    issue.updated = stamp();
    return {};
  }

  const issueOr404 = (k: string) => {
    const i = issueByKey(k);
    if (!i) throw new HttpFailure(404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
    return i;
  };
  const paging = (q: URLSearchParams, total: number) => {
    const startAt = Number(q.get('startAt') ?? 0);
    const maxResults = Number(q.get('maxResults') ?? 50);
    return { startAt, maxResults, end: startAt + maxResults, total };
  };

  type Handler = (m: RegExpMatchArray, q: URLSearchParams, body: unknown) => { status: number; body?: unknown };
  const routes: [string, RegExp, Handler][] = [
    ['GET', /^\/wiki\/api\/v2\/pages\/([^/]+)$/, (m, q) => {
      const list = pages.get(m[1]!);
      const wantVersion = q.get('version');
      const page = wantVersion ? list?.find((p) => p.version === Number(wantVersion)) : list?.at(-1);
      if (!page) throw new HttpFailure(404, { errors: [{ status: 404, code: 'NOT_FOUND', title: 'Not Found', detail: null }] });
      const withBody = q.get('body-format') === 'storage';
      return {
        status: 200,
        body: {
          id: page.id, status: 'current', title: page.title, spaceId: '98304', parentId: '65537', parentType: 'page', authorId: 'acc-1', createdAt: '2024-01-01T00:00:00.000Z',
          version: { number: page.version, message: '', minorEdit: false, authorId: 'acc-1', createdAt: '2024-01-02T00:00:00.000Z' },
          body: withBody ? { storage: { representation: 'storage', value: page.storage } } : {},
          _links: { webui: `/spaces/SPEC/pages/${page.id}/${encodeURIComponent(page.title).replace(/%20/g, '+')}`, editui: `/pages/resumedraft.action?draftId=${page.id}`, tinyui: `/x/${page.id}`, base: `${base}/wiki` },
        },
      };
    }],
    ['POST', /^\/wiki\/api\/v2\/users-bulk$/, (_m, _q, body) => {
      const ids = (body as { accountIds?: unknown } | undefined)?.accountIds;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > 250 || !ids.every((x) => typeof x === 'string')) {
        throw new HttpFailure(400, { errors: [{ status: 400, code: 'INVALID_REQUEST_PARAMETER', title: 'accountIds must list 1 to 250 account ids', detail: null }] });
      }
      const results = (ids as string[]).flatMap((id) => {
        const u = users.get(id);
        return u ? [{ accountId: u.accountId, accountType: 'atlassian', accountStatus: 'active', displayName: u.displayName, publicName: u.publicName, email: '', timeZone: 'Europe/Berlin', isExternalCollaborator: false, profilePicture: null }] : [];
      });
      return { status: 200, body: { results, _links: {} } };
    }],
    ['GET', /^\/wiki\/api\/v2\/spaces$/, () => ({ status: 200, body: { results: [], _links: {} } })],
    ['GET', /^\/rest\/api\/3\/myself$/, () => ({ status: 200, body: { accountId: 'acc-bot', accountType: 'atlassian', active: true, displayName: 'Spec bot', emailAddress: email, self: `${base}/rest/api/3/user?accountId=acc-bot` } })],
    ['GET', /^\/rest\/api\/3\/serverInfo$/, () => ({ status: 200, body: { baseUrl: base, deploymentType: 'Cloud', version: '1001.0.0-SNAPSHOT', versionNumbers: [1001, 0, 0], buildNumber: 100280, serverTitle: 'Jira' } })],
    ['GET', /^\/rest\/api\/3\/project\/([^/]+)$/, (m) => {
      const p = projectOr404(m[1]!);
      return {
        status: 200,
        body: {
          id: p.id, key: p.key, name: p.name, self: `${base}/rest/api/3/project/${p.id}`, projectTypeKey: 'software',
          simplified: p.teamManaged, style: p.teamManaged ? 'next-gen' : 'classic', issueTypes: p.issueTypes.map((t) => typeJson(p, t)),
        },
      };
    }],
    ['GET', /^\/rest\/api\/3\/issue\/createmeta\/([^/]+)\/issuetypes$/, (m, q) => {
      const p = projectOr404(m[1]!);
      const pg = paging(q, p.issueTypes.length);
      return { status: 200, body: { issueTypes: p.issueTypes.slice(pg.startAt, pg.end).map((t) => typeJson(p, t)), startAt: pg.startAt, maxResults: pg.maxResults, total: pg.total } };
    }],
    ['GET', /^\/rest\/api\/3\/issue\/createmeta\/([^/]+)\/issuetypes\/([^/]+)$/, (m, q) => {
      const p = projectOr404(m[1]!);
      const t = p.issueTypes.find((x) => x.id === m[2]);
      if (!t) throw new HttpFailure(400, { errorMessages: [`Issue type ${m[2]} is not in project ${p.key}.`], errors: {} });
      const pg = paging(q, t.fields.length);
      return { status: 200, body: { fields: t.fields.slice(pg.startAt, pg.end).map(fieldMeta), startAt: pg.startAt, maxResults: pg.maxResults, total: pg.total } };
    }],
    ['POST', /^\/rest\/api\/3\/issue\/bulk$/, (_m, _q, body) => {
      const updates = ((body as { issueUpdates?: unknown[] })?.issueUpdates ?? []) as unknown[];
      if (updates.length > 50) {
        return { status: 400, body: { issues: [], errors: [{ status: 400, failedElementNumber: 50, elementErrors: { errorMessages: ['Bulk create accepts at most 50 issues per request.'], errors: {} } }] } };
      }
      const created: unknown[] = [];
      const errs: unknown[] = [];
      updates.forEach((u, i) => {
        const r = createOne(u);
        if (r.issue) created.push({ id: r.issue.id, key: r.issue.key, self: `${base}/rest/api/3/issue/${r.issue.id}` });
        else errs.push({ status: 400, failedElementNumber: i, elementErrors: { errorMessages: r.errorMessages, errors: r.errors } });
      });
      return { status: created.length === 0 && errs.length > 0 ? 400 : 201, body: { issues: created, errors: errs } };
    }],
    ['POST', /^\/rest\/api\/3\/issue$/, (_m, _q, body) => {
      const r = createOne(body);
      if (!r.issue) return { status: 400, body: { errorMessages: r.errorMessages, errors: r.errors } };
      return { status: 201, body: { id: r.issue.id, key: r.issue.key, self: `${base}/rest/api/3/issue/${r.issue.id}` } };
    }],
    ['PUT', /^\/rest\/api\/3\/issue\/([^/]+)\/properties\/([^/]+)$/, (m, _q, body) => {
      const i = issueOr404(m[1]!);
      const existed = m[2]! in i.properties;
      i.properties[decodeURIComponent(m[2]!)] = body;
      return { status: existed ? 200 : 201 };
    }],
    ['GET', /^\/rest\/api\/3\/issue\/([^/]+)\/properties\/([^/]+)$/, (m) => {
      const i = issueOr404(m[1]!);
      const key = decodeURIComponent(m[2]!);
      if (!(key in i.properties)) throw new HttpFailure(404, { errorMessages: [`The property with key '${key}' does not exist.`], errors: {} });
      return { status: 200, body: { key, value: i.properties[key] } };
    }],
    ['POST', /^\/rest\/api\/3\/issueLink$/, (_m, _q, body) => {
      const b = body as { type?: { name?: string }; inwardIssue?: { key?: string; id?: string }; outwardIssue?: { key?: string; id?: string } };
      const inward = issueOr404(b.inwardIssue?.key ?? b.inwardIssue?.id ?? '');
      const outward = issueOr404(b.outwardIssue?.key ?? b.outwardIssue?.id ?? '');
      if (!LINK_TYPES.includes(b.type?.name ?? '')) throw new HttpFailure(404, { errorMessages: [`No issue link type with name '${b.type?.name}' found.`], errors: {} });
      links.push({ id: String(nextLinkId++), type: b.type!.name!, inwardKey: inward.key, outwardKey: outward.key, createdWith: 'issueLink' });
      inward.updated = outward.updated = stamp();
      return { status: 201 };
    }],
    ['POST', /^\/rest\/api\/3\/issue\/([^/]+)\/remotelink$/, (m, _q, body) => {
      const i = issueOr404(m[1]!);
      const b = body as { globalId?: string; object?: { url?: string; title?: string } };
      if (!b.object?.url || !b.object.title) return { status: 400, body: { errorMessages: [], errors: { object: 'A remote link needs object.url and object.title.' } } };
      const existing = b.globalId ? remoteLinks.find((r) => r.issueKey === i.key && r.globalId === b.globalId) : undefined;
      if (existing) {
        existing.url = b.object.url;
        existing.title = b.object.title;
        return { status: 200, body: { id: existing.id, self: `${base}/rest/api/3/issue/${i.key}/remotelink/${existing.id}` } };
      }
      const r: FakeRemoteLink = { id: nextRemoteId++, issueKey: i.key, url: b.object.url, title: b.object.title, ...(b.globalId ? { globalId: b.globalId } : {}) };
      remoteLinks.push(r);
      return { status: 201, body: { id: r.id, self: `${base}/rest/api/3/issue/${i.key}/remotelink/${r.id}` } };
    }],
    ['GET', /^\/rest\/api\/3\/search\/jql$/, (_m, q) => ({
      status: 200,
      body: search({
        jql: q.get('jql') ?? undefined,
        nextPageToken: q.get('nextPageToken') ?? undefined,
        maxResults: q.has('maxResults') ? Number(q.get('maxResults')) : undefined,
        fields: q.getAll('fields'),
        properties: q.getAll('properties'),
        reconcileIssues: q.getAll('reconcileIssues').flatMap((x) => x.split(',')).filter(Boolean).map(Number),
      }),
    })],
    ['POST', /^\/rest\/api\/3\/search\/jql$/, (_m, _q, body) => ({ status: 200, body: search((body ?? {}) as Parameters<typeof search>[0]) })],
    ['PUT', /^\/rest\/api\/3\/issue\/([^/]+)$/, (m, _q, body) => {
      const i = issueOr404(m[1]!);
      const errors = editOne(i, body);
      if (Object.keys(errors).length) return { status: 400, body: { errorMessages: [], errors } };
      return { status: 204 };
    }],
    ['GET', /^\/rest\/api\/3\/issue\/([^/]+)\/editmeta$/, (m) => {
      const i = issueOr404(m[1]!);
      return { status: 200, body: { fields: Object.fromEntries(editScreen(i).map((x) => [x.fieldId, editFieldMeta(x)])) } };
    }],
    ['GET', /^\/rest\/api\/3\/issue\/([^/]+)\/comment$/, (m, q) => {
      const i = issueOr404(m[1]!);
      const startAt = Number(q.get('startAt') ?? 0);
      const maxResults = Math.min(Number(q.get('maxResults') ?? 50), 100);
      const ordered = q.get('orderBy') === '-created' ? [...i.comments].reverse() : i.comments;
      return { status: 200, body: { comments: ordered.slice(startAt, startAt + maxResults).map((c) => commentJson(i, c)), startAt, maxResults, total: i.comments.length } };
    }],
    ['POST', /^\/rest\/api\/3\/issue\/([^/]+)\/comment$/, (m, _q, body) => {
      const i = issueOr404(m[1]!);
      const b = body as { body?: unknown } | undefined;
      if (!isAdf(b?.body)) return { status: 400, body: { errorMessages: ['Comment body must be an Atlassian Document (see the Atlassian Document Format).'], errors: {} } };
      const c: FakeComment = { id: String(nextCommentId++), body: structuredClone(b!.body), created: stamp() };
      i.comments.push(c);
      i.updated = c.created;
      return { status: 201, body: commentJson(i, c) };
    }],
    ['GET', /^\/rest\/api\/3\/issue\/([^/]+)\/transitions$/, (m) => {
      issueOr404(m[1]!);
      return {
        status: 200,
        body: { transitions: FAKE_TRANSITIONS.map((t) => ({ id: t.id, name: t.name, to: statusJson(t.name), hasScreen: false, isGlobal: true, isInitial: false, isAvailable: true, isConditional: false, isLooped: false })) },
      };
    }],
    ['POST', /^\/rest\/api\/3\/issue\/([^/]+)\/transitions$/, (m, _q, body) => {
      const i = issueOr404(m[1]!);
      const id = (body as { transition?: { id?: string } } | undefined)?.transition?.id;
      const t = FAKE_TRANSITIONS.find((x) => x.id === id);
      if (!t) return { status: 400, body: { errorMessages: [`Transition id '${id}' is not valid for this issue.`], errors: {} } };
      i.status = t.name;
      i.updated = stamp();
      return { status: 204 };
    }],
    ['GET', /^\/rest\/api\/3\/issue\/([^/]+)$/, (m, q) => {
      const i = issueOr404(m[1]!);
      const wanted = q.getAll('fields').flatMap((x) => x.split(',')).filter(Boolean);
      return { status: 200, body: { id: i.id, key: i.key, self: `${base}/rest/api/3/issue/${i.id}`, fields: issueFields(i, wanted.length ? wanted : 'all') } };
    }],
  ];

  function takeFault(method: string, path: string): Fault | undefined {
    const fault = faults.find((x) => x.pattern.test(path) && (!x.method || x.method === method));
    if (!fault) return undefined;
    if (--fault.remaining <= 0) faults.splice(faults.indexOf(fault), 1);
    return fault;
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...(text ? { 'Content-Type': 'application/json;charset=UTF-8' } : {}), ...headers });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const log: LoggedRequest = { method, path: url.pathname, query: url.search, status: 0, injected: false };
    requests.push(log);

    const fault = takeFault(method, url.pathname);
    if (fault?.hang && !fault.afterHandling) {
      log.injected = true;
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (fault && !fault.afterHandling) {
      log.status = fault.status;
      log.injected = true;
      return send(res, fault.status, { errorMessages: [`Injected fault ${fault.status}`], errors: {} }, fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {});
    }

    let status: number;
    let out: unknown;
    if (req.headers.authorization !== expectedAuth) {
      status = 401;
      out = undefined;
    } else {
      const route = routes.find(([m, re]) => m === method && re.test(url.pathname));
      try {
        if (!route) throw new HttpFailure(404, { errorMessages: [`The fake Atlassian does not implement ${method} ${url.pathname}`], errors: {} });
        const r = route[2](url.pathname.match(route[1])!, url.searchParams, body);
        status = r.status;
        out = r.body;
      } catch (err) {
        if (!(err instanceof HttpFailure)) throw err;
        status = err.status;
        out = err.body;
      }
    }
    if (contract) {
      for (const v of contract.check({ method, path: url.pathname, query: url.searchParams, requestBody: body, status, responseBody: out })) violations.push(v);
    }
    if (fault?.hang) {
      log.status = status;
      log.injected = true;
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (fault?.afterHandling) {
      log.status = fault.status;
      log.injected = true;
      return send(res, fault.status, { errorMessages: [`Injected fault ${fault.status} after the request took effect`], errors: {} });
    }
    log.status = status;
    send(res, status, out);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      violations.push(`fake Atlassian crashed on ${req.method} ${req.url}: ${(err as Error).stack}`);
      if (!res.headersSent) send(res, 500, { errorMessages: ['fake crashed'] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    email,
    apiToken,
    projects,
    issues,
    links,
    remoteLinks,
    requests,
    violations,
    addPage,
    addUser(user) {
      users.set(user.accountId, { accountId: user.accountId, displayName: user.displayName, publicName: user.publicName ?? user.displayName });
    },
    addIssue,
    editIssue(key, fields) {
      const i = issueByKey(key);
      if (!i) throw new Error(`fake Jira has no issue ${key}`);
      for (const [k, v] of Object.entries(fields)) {
        if (k === 'labels') i.labels = [...(v as string[])];
        i.fields[k] = structuredClone(v);
      }
      i.updated = stamp();
      return i;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    assertNoViolations() {
      if (violations.length > 0) {
        throw new AssertionError({ message: `${violations.length} OpenAPI contract violation(s):\n${violations.slice(0, 20).join('\n')}` });
      }
    },
    failNext(pattern, fault) {
      faults.push({ ...fault, pattern, remaining: fault.times ?? 1, hang: false });
    },
    hangNext(pattern, opts = {}) {
      faults.push({ status: 0, pattern, remaining: opts.times ?? 1, hang: true, ...(opts.method ? { method: opts.method } : {}), ...(opts.afterHandling ? { afterHandling: true } : {}) });
    },
    setLatency(ms) {
      latency = ms;
    },
    setSearchLag(ms) {
      searchLag = ms;
    },
    rejectField(fieldId, message) {
      rejected.set(fieldId, message);
    },
    clearFaults() {
      faults.length = 0;
      rejected.clear();
    },
    count(pattern, method) {
      return requests.filter((r) => pattern.test(r.path) && (!method || r.method === method)).length;
    },
  };
}
