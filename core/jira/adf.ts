// Atlassian Document Format for Jira descriptions. Markdown is converted by marklassian (a
// maintained converter); this module composes one issue description from an item's text, its
// acceptance criteria and a note pointing back to the specification page, and reads a document back
// as plain text (the form creation records and re-sync compares).

import { markdownToAdf as convert } from 'marklassian';

export interface AdfNode {
  type: string;
  attrs?: Record<string, unknown>;
  content?: AdfNode[];
  marks?: { type: string; attrs?: Record<string, unknown> }[];
  text?: string;
}

export interface AdfDoc {
  version: 1;
  type: 'doc';
  content: AdfNode[];
}

export function markdownToAdf(markdown: string): AdfDoc {
  const doc = convert(markdown) as unknown as AdfDoc;
  return { version: 1, type: 'doc', content: dropEmptyText(doc.content ?? []) };
}

// ADF forbids empty text nodes; stray empty ones make Jira reject the whole issue.
function dropEmptyText(nodes: AdfNode[]): AdfNode[] {
  const out: AdfNode[] = [];
  for (const n of nodes) {
    if (n.type === 'text' && !n.text) continue;
    out.push(n.content ? { ...n, content: dropEmptyText(n.content) } : n);
  }
  return out;
}

const text = (t: string, marks?: AdfNode['marks']): AdfNode => (marks ? { type: 'text', text: t, marks } : { type: 'text', text: t });
const paragraph = (...content: AdfNode[]): AdfNode => ({ type: 'paragraph', content });

export interface DescriptionParts {
  description: string;
  acceptanceCriteria: readonly string[];
  source?: { pageTitle: string; pageUrl: string; blockIds?: readonly string[] };
}

/** One ADF document: description (Markdown), "Acceptance criteria" list, and the source note. */
export function composeIssueDescription(parts: DescriptionParts): AdfDoc {
  const content: AdfNode[] = [];
  if (parts.description.trim()) content.push(...markdownToAdf(parts.description).content);
  const criteria = parts.acceptanceCriteria.map((c) => c.trim()).filter(Boolean);
  if (criteria.length > 0) {
    content.push({ type: 'heading', attrs: { level: 3 }, content: [text('Acceptance criteria')] });
    content.push({
      type: 'bulletList',
      content: criteria.map((c) => ({ type: 'listItem', content: markdownToAdf(c).content.length ? markdownToAdf(c).content : [paragraph(text(c))] })),
    });
  }
  if (parts.source) {
    const { pageTitle, pageUrl, blockIds } = parts.source;
    const note: AdfNode[] = [text('Source: '), text(pageTitle || pageUrl, [{ type: 'link', attrs: { href: pageUrl } }])];
    if (blockIds && blockIds.length > 0) note.push(text(` (blocks ${blockIds.join(', ')})`));
    if (content.length > 0) content.push({ type: 'rule' });
    content.push(paragraph(...note));
  }
  if (content.length === 0) content.push(paragraph());
  return { version: 1, type: 'doc', content };
}

/** Plain text of an ADF document: its text nodes, whitespace collapsed (Jira may re-shape the nodes, never the words). */
export function adfText(doc: unknown): string {
  const out: string[] = [];
  const walk = (n: unknown, depth: number) => {
    if (!n || typeof n !== 'object' || depth > 50) return;
    const node = n as AdfNode;
    if (node.type === 'text' && typeof node.text === 'string') out.push(node.text);
    if (Array.isArray(node.content)) for (const c of node.content) walk(c, depth + 1);
    out.push(' ');
  };
  walk(doc, 0);
  return out.join('').replace(/\s+/g, ' ').trim();
}
