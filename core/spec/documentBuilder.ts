// Collects sections, blocks and warnings while a reader walks the page, then turns them into the
// SpecDocument: final texts, content-derived ids, parent links, requirement tags and language.
// Readers reserve a block when its element opens (so parents precede children in document order) and
// fill it in when it closes.

import type { BlockKind, PanelKind, ParseWarning, SpecBlock, SpecDocument, SpecFormat, SpecSection } from './types.ts';
import { IdAllocator } from './blockIds.ts';
import { detectLanguage } from './language.ts';
import { idKey, normaliseCode, normaliseText } from './normaliseText.ts';
import { tagRequirement } from './requirements.ts';

export interface PanelRef {
  kind: PanelKind;
  title?: string;
}

/**
 * The parts of a block with no text yet: shared and frozen, replaced by a block's own array on its
 * first piece of text (an empty array grows room for 16 pieces on its first push; most blocks of a
 * hostile page hold one).
 */
export const NO_PARTS: string[] = Object.freeze([]) as unknown as string[];

export interface PendingBlock {
  kind: BlockKind;
  /** Raw text pieces; normalised when the document is finished. Ignored when `text` is set. NO_PARTS until the first. */
  parts: string[];
  /** Final text, for blocks whose reader composes it (rows, images, macros). */
  text?: string;
  /** What the id is hashed from when it is not the text: a table row's own cells, without the column headers. */
  idText?: string;
  /** Some of the text is the author's prose (not only status lozenges, Jira keys or emoticons). */
  prose: boolean;
  dropped: boolean;
  sectionIndex: number;
  depth?: number;
  parentIndex?: number;
  done?: boolean;
  language?: string;
  panel?: PanelRef;
  issueKey?: string;
  status?: { title: string; colour?: string };
  cells?: { header?: string; text: string }[];
  underAcceptanceLeadIn: boolean;
  /** Markdown/plain-text list item that may turn out to be a "[ ] task". */
  mayBeTask?: boolean;
  index: number;
}

interface PendingSection {
  title: string;
  level: number;
  headingPath: string[];
  parentIndex?: number;
}

interface WarningEntry {
  code: string;
  subject: string;
  count: number;
  message: (count: number) => string;
}

const TASK_MARKER = /^\[([ xX])\]\s+/;
const UNTITLED = 'Untitled page';

export class DocumentBuilder {
  readonly blocks: PendingBlock[] = [];
  private readonly sections: PendingSection[] = [{ title: '', level: 0, headingPath: [] }];
  private readonly sectionStack: number[] = [0];
  /** In the order first raised. */
  private readonly warnings: WarningEntry[] = [];
  private readonly warningIndex = new Map<string, Map<string, WarningEntry>>();
  private firstH1: string | undefined;

  get sectionIndex(): number {
    return this.sectionStack[this.sectionStack.length - 1] ?? 0;
  }

  get headingPath(): readonly string[] {
    return this.sections[this.sectionIndex]?.headingPath ?? [];
  }

  get headingCount(): number {
    return this.sections.length - 1;
  }

  reserve(kind: BlockKind, init?: Partial<PendingBlock>): PendingBlock {
    // Every pending block gets the same shape (all fields present), which keeps property access fast.
    const block: PendingBlock = {
      kind,
      parts: NO_PARTS,
      text: undefined,
      idText: undefined,
      prose: false,
      dropped: false,
      sectionIndex: this.sectionIndex,
      depth: undefined,
      parentIndex: undefined,
      done: undefined,
      language: undefined,
      panel: undefined,
      issueKey: undefined,
      status: undefined,
      cells: undefined,
      underAcceptanceLeadIn: false,
      mayBeTask: false,
      index: this.blocks.length,
    };
    if (init) Object.assign(block, init);
    this.blocks.push(block);
    return block;
  }

  /** reserve('listItem', …) without an options object: one per list item, and a page may have 100,000. */
  reserveListItem(depth: number, parentIndex: number | undefined, underAcceptanceLeadIn: boolean, panel: PanelRef | undefined, mayBeTask: boolean): PendingBlock {
    const block = this.reserve('listItem');
    block.depth = depth;
    block.parentIndex = parentIndex;
    block.underAcceptanceLeadIn = underAcceptanceLeadIn;
    block.panel = panel;
    block.mayBeTask = mayBeTask;
    return block;
  }

  openSection(level: number, rawTitle: string): void {
    const title = normaliseText(rawTitle).replace(/\n/g, ' ');
    if (!title) return;
    if (level === 1 && this.firstH1 === undefined) this.firstH1 = title;
    while (this.sectionStack.length > 1) {
      const top = this.sections[this.sectionStack[this.sectionStack.length - 1] ?? 0];
      if (top && top.level >= level) this.sectionStack.pop();
      else break;
    }
    const parentIndex = this.sectionIndex;
    const parent = this.sections[parentIndex];
    this.sections.push({ title, level, headingPath: [...(parent?.headingPath ?? []), title], parentIndex });
    this.sectionStack.push(this.sections.length - 1);
  }

  /** Records a warning once per (code, subject); repeats only raise its count. */
  warn(code: string, subject: string, message: (count: number) => string): void {
    // Looked up by code, then subject (no composed key string): a hostile page repeats one warning 100,000 times.
    let bySubject = this.warningIndex.get(code);
    if (!bySubject) this.warningIndex.set(code, (bySubject = new Map()));
    const entry = bySubject.get(subject);
    if (entry) {
      entry.count++;
      return;
    }
    const created = { code, subject, count: 1, message };
    bySubject.set(subject, created);
    this.warnings.push(created);
  }

  finish(options: { format: SpecFormat; title?: string }): SpecDocument {
    const blockIds = new IdAllocator('b');
    const sectionIds = new IdAllocator('s');
    const sections: SpecSection[] = this.sections.map((s, i) => ({
      id: i === 0 ? 's-root' : sectionIds.next(s.headingPath.join('\u0000')),
      title: s.title,
      level: s.level,
      headingPath: s.headingPath,
      blockIds: [],
    }));
    this.sections.forEach((s, i) => {
      const target = sections[i];
      if (target && s.parentIndex !== undefined) target.parentId = sections[s.parentIndex]?.id;
    });

    // First the final kind and text of every block, so that twins (blocks with the same id key) are known
    // before any id is handed out. They are written back onto the pending block (no object per block);
    // `keys` holds each kept block's id key.
    const keys: (string | undefined)[] = new Array(this.blocks.length);
    const keyCount = new Map<string, number>();
    let maxDepth = 0;
    for (const p of this.blocks) {
      if (p.depth !== undefined && p.depth > maxDepth) maxDepth = p.depth;
      if (p.dropped) continue;
      let text = p.text ?? (p.kind === 'code' ? normaliseCode(p.parts.join('')) : normaliseText(p.parts.join('')));
      let kind = p.kind;
      let done = p.done;
      if (p.mayBeTask) {
        const m = TASK_MARKER.exec(text);
        if (m) {
          kind = 'task';
          done = m[1] !== ' ';
          text = text.slice(m[0].length);
        }
      }
      if (!text || (kind === 'paragraph' && !p.prose)) {
        p.dropped = true;
        continue;
      }
      const key = idKey(kind, p.idText ?? text);
      p.kind = kind;
      p.text = text;
      p.done = done;
      keys[p.index] = key;
      keyCount.set(key, (keyCount.get(key) ?? 0) + 1);
    }

    const idOf: (string | undefined)[] = new Array(this.blocks.length);
    // Parent that survived: an empty list item that only wraps a nested list hands its children up.
    const keptParent: (number | undefined)[] = new Array(this.blocks.length);
    const blocks: SpecBlock[] = [];
    // Given/When/Then steps continue a scenario across siblings (items of one list, or consecutive
    // paragraphs), even with nested items in between; a paragraph after a scenario list starts afresh.
    const siblings = new SiblingFlags(this.blocks.length, maxDepth);
    // The joined heading path of each section, made once: twins are keyed by it.
    const sectionPaths: (string | undefined)[] = new Array(sections.length);
    for (const p of this.blocks) {
      const parent = p.parentIndex;
      const effectiveParent =
        parent === undefined ? undefined : idOf[parent] !== undefined ? parent : keptParent[parent];
      keptParent[p.index] = effectiveParent;
      const key = keys[p.index];
      if (p.dropped || key === undefined) continue;
      const { kind, done } = p;
      const text = p.text!;
      const section = sections[p.sectionIndex] ?? sections[0]!;
      // Twins are told apart by their heading path first, so a twin added in one section leaves the
      // twins of other sections alone; only twins within one section fall back to page order.
      let twinKey = key;
      if ((keyCount.get(key) ?? 0) > 1) {
        const sectionIndex = sections[p.sectionIndex] ? p.sectionIndex : 0;
        const path = (sectionPaths[sectionIndex] ??= section.headingPath.join('\u0000'));
        twinKey = `${key}\u0000${path}`;
      }
      const id = blockIds.next(twinKey);
      idOf[p.index] = id;
      const siblingKey = siblings.key(p.sectionIndex, p.depth);
      const { tags, requirementId } = tagRequirement({
        kind,
        text,
        done,
        headingPath: section.headingPath,
        underAcceptanceLeadIn: p.underAcceptanceLeadIn,
        previousWasGherkin: siblings.get(effectiveParent, siblingKey),
      });
      siblings.set(effectiveParent, siblingKey, tags.includes('gherkin'));
      const block = newBlock(id, kind, text, section, tags, requirementId || undefined, p.depth, effectiveParent === undefined ? NO_PARENT : idOf[effectiveParent]);
      if (kind === 'task') block.done = done ?? false;
      if (p.language) block.language = p.language;
      if (p.panel) block.panel = p.panel.title ? { kind: p.panel.kind, title: p.panel.title } : { kind: p.panel.kind };
      if (p.issueKey) block.issueKey = p.issueKey;
      if (p.status) block.status = p.status;
      if (p.cells) block.cells = p.cells;
      blocks.push(block);
      section.blockIds.push(id);
    }

    if (!blocks.some((b) => b.kind !== 'image' && b.kind !== 'status' && b.kind !== 'jiraIssue')) {
      this.warn('no_text_content', '', () => 'The page has no text content (only images or macros), so there is nothing to break down.');
    }
    const warnings: ParseWarning[] = this.warnings.map((w) => ({ code: w.code, message: w.message(w.count) }));
    const title = options.title?.trim() || this.firstH1 || UNTITLED;
    sections[0]!.title = title;
    return {
      title,
      format: options.format,
      language: detectLanguage(proseTexts(blocks)),
      sections,
      blocks,
      warnings,
    };
  }
}

/** The texts of the blocks other than code, read only as far as language detection reads. */
function* proseTexts(blocks: readonly SpecBlock[]): Generator<string> {
  for (const b of blocks) if (b.kind !== 'code') yield b.text;
}

/**
 * Whether the previous sibling (same section, same surviving parent, same depth) read as a
 * Given/When/Then step. A number per (section, depth) and one slot per parent instead of a map of
 * composed strings: a page of 100,000 nested items has 100,000 parents, nearly all with one group.
 */
class SiblingFlags {
  /** The (section, depth) key each parent's children were last seen with; -1 for none. Slot 0: no parent. */
  private readonly slotKey: Float64Array;
  private readonly slotFlag: Uint8Array;
  /** Parents whose children span more than one (section, depth). */
  private readonly more = new Map<number, Map<number, boolean>>();
  private readonly depthSpan: number;

  constructor(blockCount: number, maxDepth: number) {
    this.slotKey = new Float64Array(blockCount + 1).fill(-1);
    this.slotFlag = new Uint8Array(blockCount + 1);
    this.depthSpan = maxDepth + 2;
  }

  key(sectionIndex: number, depth: number | undefined): number {
    return sectionIndex * this.depthSpan + (depth === undefined ? 0 : depth + 1);
  }

  get(parent: number | undefined, key: number): boolean {
    const slot = parent === undefined ? 0 : parent + 1;
    if (this.slotKey[slot] === key) return this.slotFlag[slot] === 1;
    return this.more.get(slot)?.get(key) ?? false;
  }

  set(parent: number | undefined, key: number, flag: boolean): void {
    const slot = parent === undefined ? 0 : parent + 1;
    const current = this.slotKey[slot];
    if (current === -1 || current === key) {
      this.slotKey[slot] = key;
      this.slotFlag[slot] = flag ? 1 : 0;
      return;
    }
    let groups = this.more.get(slot);
    if (!groups) this.more.set(slot, (groups = new Map()));
    groups.set(key, flag);
  }
}

/** Marks "no parentBlockId property" (a parent's id is a string, or in theory undefined). */
const NO_PARENT = Symbol('no parent');

/**
 * A block with its optional requirementId, depth and parentBlockId made in one object literal (in
 * that order, each only when present): adding them one by one gives each nested item a separate
 * property store, and a hostile page has 100,000 of them.
 */
function newBlock(
  id: string,
  kind: BlockKind,
  text: string,
  section: SpecSection,
  tags: SpecBlock['tags'],
  requirementId: string | undefined,
  depth: number | undefined,
  parent: string | undefined | typeof NO_PARENT,
): SpecBlock {
  const { headingPath, id: sectionId } = section;
  const shape = (requirementId !== undefined ? 4 : 0) | (depth !== undefined ? 2 : 0) | (parent !== NO_PARENT ? 1 : 0);
  const parentBlockId = parent === NO_PARENT ? undefined : parent;
  switch (shape) {
    case 0:
      return { id, kind, text, headingPath, sectionId, tags };
    case 1:
      return { id, kind, text, headingPath, sectionId, tags, parentBlockId };
    case 2:
      return { id, kind, text, headingPath, sectionId, tags, depth };
    case 3:
      return { id, kind, text, headingPath, sectionId, tags, depth, parentBlockId };
    case 4:
      return { id, kind, text, headingPath, sectionId, tags, requirementId };
    case 5:
      return { id, kind, text, headingPath, sectionId, tags, requirementId, parentBlockId };
    case 6:
      return { id, kind, text, headingPath, sectionId, tags, requirementId, depth };
    default:
      return { id, kind, text, headingPath, sectionId, tags, requirementId, depth, parentBlockId };
  }
}
