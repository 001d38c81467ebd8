// Contract checker for the fake Atlassian: matches a request to an operation in Atlassian's
// published OpenAPI documents (Jira platform v3, Confluence v2) and validates the query, the
// request body and the response body for its status code with ajv. The documents are kept in the
// repository (openapi/ beside this file), copied from Atlassian's published contracts.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under ESM its default export may be the module namespace.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

export const OPENAPI_DIR = fileURLToPath(new URL('./openapi/', import.meta.url));

interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  literalSegments: number;
  op: OpenApiOperation;
  doc: 'jira' | 'confluence';
}

interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Record<string, unknown>;
  $ref?: string;
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: unknown }>; required?: boolean };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

export interface Exchange {
  method: string;
  path: string;
  query: URLSearchParams;
  requestBody: unknown;
  status: number;
  responseBody: unknown;
}

export class OpenApiContract {
  private readonly ajv: Ajv;
  private readonly ops: Operation[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly docs: Record<'jira' | 'confluence', Record<string, unknown>>;

  constructor(dir = OPENAPI_DIR) {
    const jiraPath = `${dir}jira-platform-v3.openapi.json`;
    const confPath = `${dir}confluence-v2.openapi.json`;
    for (const p of [jiraPath, confPath]) {
      if (!existsSync(p)) {
        throw new Error(`Atlassian OpenAPI document missing: expected ${p} (test/fakes/atlassian/openapi/ holds jira-platform-v3.openapi.json and confluence-v2.openapi.json, Atlassian's published documents).`);
      }
    }
    const jira = JSON.parse(readFileSync(jiraPath, 'utf8')) as Record<string, unknown>;
    const confluence = JSON.parse(readFileSync(confPath, 'utf8')) as Record<string, unknown>;
    this.docs = { jira, confluence };
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    this.ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    this.ajv.addSchema({ $id: 'jira', components: (jira as { components: unknown }).components });
    this.ajv.addSchema({ $id: 'confluence', components: (confluence as { components: unknown }).components });
    this.index(jira, 'jira', '');
    this.index(confluence, 'confluence', '/wiki/api/v2');
    // Literal segments win over templates: /issue/bulk before /issue/{issueIdOrKey}.
    this.ops.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  private index(doc: Record<string, unknown>, name: 'jira' | 'confluence', prefix: string): void {
    for (const [template, item] of Object.entries(doc.paths as Record<string, Record<string, OpenApiOperation>>)) {
      const full = prefix + template;
      const segments = full.split('/');
      const regex = new RegExp(`^${segments.map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/')}$`);
      const literalSegments = segments.filter((s) => s && !/^\{.+\}$/.test(s)).length;
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'delete', 'patch'].includes(method)) continue;
        this.ops.push({ method: method.toUpperCase(), template: full, regex, literalSegments, op, doc: name });
      }
    }
  }

  find(method: string, path: string): Operation | undefined {
    return this.ops.find((o) => o.method === method && o.regex.test(path));
  }

  private validator(key: string, doc: 'jira' | 'confluence', schema: unknown): ValidateFunction {
    let v = this.compiled.get(key);
    if (!v) {
      v = this.ajv.compile(rewriteRefs(schema, doc) as object);
      this.compiled.set(key, v);
    }
    return v;
  }

  private resolveParam(doc: 'jira' | 'confluence', p: OpenApiParameter): OpenApiParameter {
    if (!p.$ref) return p;
    const parts = p.$ref.replace(/^#\//, '').split('/');
    let node: unknown = this.docs[doc];
    for (const part of parts) node = (node as Record<string, unknown>)[part];
    return node as OpenApiParameter;
  }

  /** All contract problems of one exchange; an empty list means it conforms. */
  check(x: Exchange): string[] {
    const where = `${x.method} ${x.path}`;
    const found = this.find(x.method, x.path);
    if (!found) return [`${where}: no such operation in Atlassian's OpenAPI documents`];
    const problems: string[] = [];
    const { op, doc, template } = found;

    // Query parameters: known names, required ones present, values of the right type.
    const params = (op.parameters ?? []).map((p) => this.resolveParam(doc, p));
    const queryParams = params.filter((p) => p.in === 'query');
    for (const name of new Set(x.query.keys())) {
      const p = queryParams.find((q) => q.name === name);
      if (!p) {
        problems.push(`${where}: query parameter "${name}" is not defined for ${x.method} ${template}`);
        continue;
      }
      const schema = (p.schema ?? {}) as Record<string, unknown>;
      const raw = x.query.getAll(name);
      const value = schema.type === 'array' ? raw.flatMap((r) => r.split(',')).map((r) => coerce(r, (schema.items as Record<string, unknown>) ?? {})) : coerce(raw[0]!, schema);
      const v = this.validator(`${doc}|q|${template}|${x.method}|${name}`, doc, schema);
      if (!v(value)) problems.push(`${where}: query parameter "${name}"=${JSON.stringify(raw)} ${this.ajv.errorsText(v.errors)}`);
    }
    for (const p of queryParams) if (p.required && !x.query.has(p.name)) problems.push(`${where}: required query parameter "${p.name}" missing`);

    // Request body (inline, or a $ref to components/requestBodies as in Confluence's users-bulk).
    const body = op.requestBody as (typeof op.requestBody & { $ref?: string }) | undefined;
    const requestBody = body?.$ref ? (this.resolveParam(doc, body as unknown as OpenApiParameter) as unknown as typeof op.requestBody) : body;
    const reqSchema = requestBody?.content?.['application/json']?.schema;
    if (x.requestBody !== undefined) {
      if (!reqSchema) problems.push(`${where}: sends a body but the operation takes none`);
      else {
        const v = this.validator(`${doc}|req|${template}|${x.method}`, doc, reqSchema);
        if (!v(x.requestBody)) problems.push(`${where}: request body ${this.ajv.errorsText(v.errors, { dataVar: 'body' })}`);
      }
    } else if (requestBody?.required) problems.push(`${where}: request body is required`);
    if (reqSchema && x.method === 'POST' && (template === '/rest/api/3/issue' || template === '/rest/api/3/issue/bulk')) {
      problems.push(...this.checkIssueUpdates(where, x.requestBody));
    }

    // Response body for the status code.
    const responses = op.responses ?? {};
    const resp = responses[String(x.status)] ?? responses[`${String(x.status)[0]}XX`] ?? responses.default;
    if (!resp) problems.push(`${where}: responded ${x.status}, which the operation does not document (${Object.keys(responses).join(', ')})`);
    else {
      const resSchema = resp.content?.['application/json']?.schema;
      if (resSchema && x.responseBody !== undefined) {
        const v = this.validator(`${doc}|res|${template}|${x.method}|${x.status}`, doc, resSchema);
        if (!v(x.responseBody)) problems.push(`${where}: response ${x.status} ${this.ajv.errorsText(v.errors, { dataVar: 'response' })}`);
      }
    }
    return problems;
  }

  /**
   * Rules the schema leaves to prose for issue create and bulk create: a field is set through
   * `fields` or `update`, never both; and each `issuelinks` update is one link to one other issue.
   */
  private checkIssueUpdates(where: string, body: unknown): string[] {
    const problems: string[] = [];
    const list = where.endsWith('/bulk') ? ((body as { issueUpdates?: unknown[] } | undefined)?.issueUpdates ?? []) : [body];
    const v = this.validator('jira|issuelinks-update', 'jira', ISSUELINK_UPDATE_SCHEMA);
    list.forEach((u, i) => {
      const at = where.endsWith('/bulk') ? `issueUpdates[${i}].` : '';
      const { fields, update } = (u ?? {}) as { fields?: Record<string, unknown>; update?: Record<string, unknown> };
      if (!update || typeof update !== 'object') return;
      for (const key of Object.keys(update)) if (fields && key in fields) problems.push(`${where}: ${at}${key} is in both fields and update, which Jira forbids`);
      const links = update.issuelinks;
      if (links === undefined) return;
      if (!Array.isArray(links)) return;
      links.forEach((op, j) => {
        if (!v(op)) problems.push(`${where}: ${at}update.issuelinks[${j}] ${this.ajv.errorsText(v.errors, { dataVar: 'link' })}`);
      });
    });
    return problems;
  }
}

/**
 * The shape of one `update.issuelinks` operation on create. The OpenAPI document types
 * FieldUpdateOperation.add as "any value", and its prose (IssueLink: "Provides details about the
 * linked issue") says the value is an issue link seen from the issue being created: a link type and
 * exactly one other issue, inward or outward. Assembled from the document's own component schemas.
 */
const ISSUELINK_UPDATE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['add'],
  properties: {
    add: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: { allOf: [{ $ref: '#/components/schemas/IssueLinkType' }, { anyOf: [{ required: ['name'] }, { required: ['id'] }] }] },
        inwardIssue: { allOf: [{ $ref: '#/components/schemas/LinkedIssue' }, { anyOf: [{ required: ['key'] }, { required: ['id'] }] }] },
        outwardIssue: { allOf: [{ $ref: '#/components/schemas/LinkedIssue' }, { anyOf: [{ required: ['key'] }, { required: ['id'] }] }] },
      },
      oneOf: [{ required: ['inwardIssue'] }, { required: ['outwardIssue'] }],
    },
  },
};

function coerce(raw: string, schema: Record<string, unknown>): unknown {
  if (schema.type === 'integer' || schema.type === 'number') return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  if (schema.type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

function rewriteRefs(node: unknown, doc: string): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, doc));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${doc}${v}` : rewriteRefs(v, doc);
    return out;
  }
  return node;
}
