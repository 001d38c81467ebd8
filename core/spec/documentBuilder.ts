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

export interface PendingBlock {
  kind: BlockKind;
  /** Raw text pieces; normalised when the document is finished. Ignored when `text` is set. */
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
  private readonly warnings = new Map<string, WarningEntry>();
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
      parts: [],
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
    const key = `${code}\u0000${subject}`;
    const entry = this.warnings.get(key);
    if (entry) entry.count++;
    else this.warnings.set(key, { code, subject, count: 1, message });
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
    // before any id is handed out.
    const finals: ({ kind: BlockKind; text: string; done: boolean | undefined; key: string } | undefined)[] = new Array(this.blocks.length);
    const keyCount = new Map<string, number>();
    for (const p of this.blocks) {
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
      finals[p.index] = { kind, text, done, key };
      keyCount.set(key, (keyCount.get(key) ?? 0) + 1);
    }

    const idOf: (string | undefined)[] = new Array(this.blocks.length);
    // Parent that survived: an empty list item that only wraps a nested list hands its children up.
    const keptParent: (number | undefined)[] = new Array(this.blocks.length);
    const blocks: SpecBlock[] = [];
    // Given/When/Then steps continue a scenario across siblings (items of one list, or consecutive
    // paragraphs), even with nested items in between; a paragraph after a scenario list starts afresh.
    const gherkinBySibling = new Map<string, boolean>();
    for (const p of this.blocks) {
      const parent = p.parentIndex;
      const effectiveParent =
        parent === undefined ? undefined : idOf[parent] !== undefined ? parent : keptParent[parent];
      keptParent[p.index] = effectiveParent;
      const final = finals[p.index];
      if (p.dropped || !final) continue;
      const { kind, text, done, key } = final;
      const section = sections[p.sectionIndex] ?? sections[0]!;
      // Twins are told apart by their heading path first, so a twin added in one section leaves the
      // twins of other sections alone; only twins within one section fall back to page order.
      const twinKey = (keyCount.get(key) ?? 0) > 1 ? `${key}\u0000${section.headingPath.join('\u0000')}` : key;
      const id = blockIds.next(twinKey);
      idOf[p.index] = id;
      const siblingKey = `${p.sectionIndex}/${effectiveParent ?? ''}/${p.depth ?? ''}`;
      const { tags, requirementId } = tagRequirement({
        kind,
        text,
        done,
        headingPath: section.headingPath,
        underAcceptanceLeadIn: p.underAcceptanceLeadIn,
        previousWasGherkin: gherkinBySibling.get(siblingKey) ?? false,
      });
      gherkinBySibling.set(siblingKey, tags.includes('gherkin'));
      const block: SpecBlock = { id, kind, text, headingPath: section.headingPath, sectionId: section.id, tags };
      if (requirementId) block.requirementId = requirementId;
      if (p.depth !== undefined) block.depth = p.depth;
      if (effectiveParent !== undefined) block.parentBlockId = idOf[effectiveParent];
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
    const warnings: ParseWarning[] = [...this.warnings.values()].map((w) => ({ code: w.code, message: w.message(w.count) }));
    const title = options.title?.trim() || this.firstH1 || UNTITLED;
    sections[0]!.title = title;
    return {
      title,
      format: options.format,
      language: detectLanguage(blocks.filter((b) => b.kind !== 'code').map((b) => b.text)),
      sections,
      blocks,
      warnings,
    };
  }
}
