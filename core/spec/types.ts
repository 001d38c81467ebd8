// The page as a document: the one shape every input format (Confluence storage, Markdown, plain text)
// is parsed into, and everything downstream (drafter, model prompts, coverage, re-sync) reads.

export const BLOCK_KINDS = [
  'paragraph',
  'listItem',
  'tableRow',
  'task',
  'code',
  'quote',
  'status',
  'jiraIssue',
  'image',
] as const;
export type BlockKind = (typeof BLOCK_KINDS)[number];

export const PANEL_KINDS = ['info', 'note', 'warning', 'tip', 'panel', 'expand', 'details', 'excerpt', 'section'] as const;
export type PanelKind = (typeof PANEL_KINDS)[number];

/** Why a block counts as a requirement. A block with at least one tag is a requirement block. */
export const REQUIREMENT_TAGS = [
  'id', // carries an identifier such as FR-001, REQ-12, US-3, NFR-4
  'modal', // must / shall / should / will (and their German, French, Spanish forms)
  'userStory', // "As a <role>, I want <goal> so that <benefit>" (and translations)
  'gherkin', // Given / When / Then
  'acceptanceCriteria', // item of a list under an "Acceptance criteria" heading or lead-in
  'openTask', // an unchecked task-list item
  'successCriterion', // a success criterion, measurable outcome or KPI (SC-001, items under "Success criteria")
  'edgeCase', // an item under an "Edge cases" heading: a situation the work must handle
] as const;
export type RequirementTag = (typeof REQUIREMENT_TAGS)[number];

export interface SpecBlock {
  /** Stable id: derived from the block's own content (not its position), so edits elsewhere on the page keep it. */
  id: string;
  kind: BlockKind;
  /** Readable text as a person would read it (links, mentions, emoticons, entities resolved). */
  text: string;
  /** Titles of the enclosing headings, outermost first. */
  headingPath: string[];
  /** Id of the section the block belongs to. */
  sectionId: string;
  /** Requirement identifier found in the text (e.g. "FR-001"), if any. */
  requirementId?: string;
  tags: RequirementTag[];
  /** Nesting depth for list items (0 = top level). */
  depth?: number;
  /** Id of the parent list item for nested list items. */
  parentBlockId?: string;
  /** Task state for kind 'task'. */
  done?: boolean;
  /** Language of a code block. */
  language?: string;
  /** Innermost panel/expand the block sits in, if any. */
  panel?: { kind: PanelKind; title?: string };
  /** Jira issue key for kind 'jiraIssue' (a reference to an existing issue, not prose). */
  issueKey?: string;
  /** Status macro colour/title for kind 'status'. */
  status?: { title: string; colour?: string };
  /** Header-aware cells for kind 'tableRow'. */
  cells?: { header?: string; text: string }[];
}

export interface SpecSection {
  id: string;
  title: string;
  /** 1–6 for headings; 0 for the implicit root section holding content before the first heading. */
  level: number;
  headingPath: string[];
  parentId?: string;
  blockIds: string[];
}

export interface ParseWarning {
  code: string;
  message: string;
}

export type SpecFormat = 'storage' | 'markdown' | 'text';

export interface SpecDocument {
  title: string;
  format: SpecFormat;
  /** BCP-47 primary language subtag detected from the text ("en", "de", "fr", "es", …). */
  language: string;
  sections: SpecSection[];
  /** All blocks in document order. */
  blocks: SpecBlock[];
  warnings: ParseWarning[];
}

/** Thrown (as a value with a message a person can act on) when input cannot be parsed at all. */
export class SpecInputError extends Error {
  constructor(
    readonly code: 'empty' | 'too_large' | 'binary' | 'unreadable' | 'no_content',
    message: string,
  ) {
    super(message);
    this.name = 'SpecInputError';
  }
}

export const isRequirementBlock = (block: SpecBlock): boolean => block.tags.length > 0;
