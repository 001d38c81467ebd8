// Collects sections, blocks and warnings while a reader walks the page, then turns them into the
// SpecDocument: final texts, content-derived ids, parent links, requirement tags and language.
// Readers reserve a block when its element opens (so parents precede children in document order) and
// fill it in when it closes.

import type { BlockKind, PanelKind, ParseWarning, SpecBlock, SpecDocument, SpecFormat, SpecSection } from './types.ts';
import { IdAllocator, hashMore, hashStart, hashUnit } from './blockIds.ts';
import { LanguageSample, detectLanguageOfSample } from './language.ts';
import { idKeyText, normaliseCode, normaliseText } from './normaliseText.ts';
import { RequirementTagger, TAG_BIT, sectionTagging, tagList, type SectionTagging } from './requirements.ts';

export interface PanelRef {
  kind: PanelKind;
  title?: string;
}

/**
 * Raw text pieces: one piece as a string (most blocks of a dense page hold one), more as an array,
 * and past CHUNK pieces a TextChunks. '' before the first.
 */
export type TextParts = string | string[] | TextChunks;

/** Pieces joined per this many: arrays stay small, and each character is copied once before the final join. */
const CHUNK = 1024;

/**
 * The text of a target that has collected many pieces (a hostile page can pour 300,000 into one link
 * or table cell): the older pieces joined per CHUNK, the newest still apart. A single huge array of
 * pieces costs far more to grow and to join than its characters do.
 */
export class TextChunks {
  constructor(
    readonly chunks: string[],
    public parts: string[],
  ) {}

  /** The pieces, newest first (a reader of the tail stops when it has enough). */
  *fromEnd(): Generator<string> {
    for (let i = this.parts.length - 1; i >= 0; i--) yield this.parts[i]!;
    for (let i = this.chunks.length - 1; i >= 0; i--) yield this.chunks[i]!;
  }
}

/** Adds a piece of text to `parts`, returning the parts to keep (an array only from the second piece on). */
export function addTextPart(parts: TextParts, text: string): TextParts {
  if (typeof parts === 'string') return parts === '' ? text : [parts, text];
  if (Array.isArray(parts)) {
    if (parts.length < CHUNK) {
      parts.push(text);
      return parts;
    }
    return new TextChunks([parts.join('')], [text]);
  }
  parts.parts.push(text);
  if (parts.parts.length === CHUNK) {
    parts.chunks.push(parts.parts.join(''));
    parts.parts = [];
  }
  return parts;
}

/** All the pieces as one string. */
export function joinParts(parts: TextParts): string {
  if (typeof parts === 'string') return parts;
  if (Array.isArray(parts)) return parts.join('');
  return parts.chunks.join('') + parts.parts.join('');
}

/** The pieces, newest first (lastLineOfTail reads only a tail). */
export function* partsFromEnd(parts: TextParts): Generator<string> {
  if (typeof parts === 'string') yield parts;
  else if (Array.isArray(parts)) for (let i = parts.length - 1; i >= 0; i--) yield parts[i]!;
  else yield* parts.fromEnd();
}

/** Fields few blocks have, kept apart so that the many blocks without them stay small. */
interface BlockExtra {
  implicitBelow?: number;
  panel?: PanelRef;
  idText?: string;
  language?: string;
  issueKey?: string;
  status?: { title: string; colour?: string };
  cells?: { header?: string; text: string }[];
}

const PROSE = 1;
const DROPPED = 2;
const UNDER_LEAD_IN = 4;
const MAY_BE_TASK = 8;
const DONE_KNOWN = 16;
const DONE = 32;
const FLATTEN_ALL = 64;
const FLATTEN_ITEM = 128;
/** The list depth + 1 (0: not in a list) is kept above the flags. */
const DEPTH_SHIFT = 8;
const FLAGS = (1 << DEPTH_SHIFT) - 1;

/**
 * A block being read: reserved when its element opens (so parents precede children in document
 * order), filled in when it closes. A class with every field set in its constructor: one shape for
 * all, and no more than a page of 100,000 nested items needs to keep per item.
 */
export class PendingBlock {
  /** Raw text pieces; normalised when the document is finished. Ignored when `text` is set. */
  parts: TextParts = '';
  /** Final text, for blocks whose reader composes it (rows, images, macros). */
  text: string | undefined = undefined;
  /** prose, dropped, underAcceptanceLeadIn, mayBeTask, done, flatten and depth in bits (one field instead of seven). */
  private bits = 0;
  parentIndex: number | undefined = undefined;
  /**
   * The storage reader's bookkeeping while the block collects text (it is then the reader's text
   * target, with no object of its own): its place on the target stack; `flatten` and `implicitBelow`
   * are the others.
   */
  at = -1;
  private extra: BlockExtra | undefined = undefined;

  constructor(
    public kind: BlockKind,
    readonly sectionIndex: number,
    readonly index: number,
  ) {}

  /** Some of the text is the author's prose (not only status lozenges, Jira keys or emoticons). */
  get prose(): boolean {
    return (this.bits & PROSE) !== 0;
  }
  set prose(value: boolean) {
    this.bits = value ? this.bits | PROSE : this.bits & ~PROSE;
  }
  get dropped(): boolean {
    return (this.bits & DROPPED) !== 0;
  }
  set dropped(value: boolean) {
    this.bits = value ? this.bits | DROPPED : this.bits & ~DROPPED;
  }
  get underAcceptanceLeadIn(): boolean {
    return (this.bits & UNDER_LEAD_IN) !== 0;
  }
  set underAcceptanceLeadIn(value: boolean) {
    this.bits = value ? this.bits | UNDER_LEAD_IN : this.bits & ~UNDER_LEAD_IN;
  }
  /** Its list's nesting depth (0 for a top-level item); undefined outside lists. */
  get depth(): number | undefined {
    const d = this.bits >>> DEPTH_SHIFT;
    return d === 0 ? undefined : d - 1;
  }
  set depth(value: number | undefined) {
    this.bits = (this.bits & FLAGS) | (value === undefined ? 0 : (value + 1) << DEPTH_SHIFT);
  }
  /** The element-stack length below which it closes (a paragraph opened by loose text); -1 for none. */
  get implicitBelow(): number {
    return this.extra?.implicitBelow ?? -1;
  }
  set implicitBelow(value: number) {
    this.setExtra('implicitBelow', value === -1 ? undefined : value);
  }
  /** A task's state: undefined for other blocks. */
  get done(): boolean | undefined {
    return (this.bits & DONE_KNOWN) === 0 ? undefined : (this.bits & DONE) !== 0;
  }
  set done(value: boolean | undefined) {
    this.bits = (this.bits & ~(DONE_KNOWN | DONE)) | (value === undefined ? 0 : value ? DONE_KNOWN | DONE : DONE_KNOWN);
  }
  /** How blocks nested in it fold into its text (it is the reader's text target while open). */
  get flatten(): 'all' | 'listItem' | undefined {
    return (this.bits & FLATTEN_ALL) !== 0 ? 'all' : (this.bits & FLATTEN_ITEM) !== 0 ? 'listItem' : undefined;
  }
  set flatten(value: 'all' | 'listItem' | undefined) {
    this.bits = (this.bits & ~(FLATTEN_ALL | FLATTEN_ITEM)) | (value === 'all' ? FLATTEN_ALL : value === 'listItem' ? FLATTEN_ITEM : 0);
  }
  /** Markdown/plain-text list item that may turn out to be a "[ ] task". */
  get mayBeTask(): boolean {
    return (this.bits & MAY_BE_TASK) !== 0;
  }
  set mayBeTask(value: boolean) {
    this.bits = value ? this.bits | MAY_BE_TASK : this.bits & ~MAY_BE_TASK;
  }

  get panel(): PanelRef | undefined {
    return this.extra?.panel;
  }
  set panel(value: PanelRef | undefined) {
    this.setExtra('panel', value);
  }
  /** What the id is hashed from when it is not the text: a table row's own cells, without the column headers. */
  get idText(): string | undefined {
    return this.extra?.idText;
  }
  set idText(value: string | undefined) {
    this.setExtra('idText', value);
  }
  get language(): string | undefined {
    return this.extra?.language;
  }
  set language(value: string | undefined) {
    this.setExtra('language', value);
  }
  get issueKey(): string | undefined {
    return this.extra?.issueKey;
  }
  set issueKey(value: string | undefined) {
    this.setExtra('issueKey', value);
  }
  get status(): BlockExtra['status'] {
    return this.extra?.status;
  }
  set status(value: BlockExtra['status']) {
    this.setExtra('status', value);
  }
  get cells(): BlockExtra['cells'] {
    return this.extra?.cells;
  }
  set cells(value: BlockExtra['cells']) {
    this.setExtra('cells', value);
  }

  private setExtra<K extends keyof BlockExtra>(key: K, value: BlockExtra[K]): void {
    if (value === undefined && this.extra === undefined) return;
    (this.extra ??= {})[key] = value;
  }
}

/** Blocks per chunk of a BlockList. */
const BLOCK_CHUNK_BITS = 12;
const BLOCK_CHUNK = 1 << BLOCK_CHUNK_BITS;

/**
 * The pending blocks in page order, in chunks of BLOCK_CHUNK made at their full size: a page of
 * 100,000 blocks would otherwise grow one array through dozens of copies, each of fresh memory.
 */
export class BlockList {
  length = 0;
  private readonly chunks: PendingBlock[][] = [];

  push(block: PendingBlock): void {
    const offset = this.length & (BLOCK_CHUNK - 1);
    if (offset === 0) this.chunks.push(new Array<PendingBlock>(BLOCK_CHUNK));
    this.chunks[this.chunks.length - 1]![offset] = block;
    this.length++;
  }

  /** The block with index `index` (0 ≤ index < length). */
  get(index: number): PendingBlock {
    return this.chunks[index >>> BLOCK_CHUNK_BITS]![index & (BLOCK_CHUNK - 1)]!;
  }

  last(): PendingBlock | undefined {
    return this.length === 0 ? undefined : this.get(this.length - 1);
  }
}

/** What reserve() may set on a new block. */
export type BlockInit = Partial<Pick<PendingBlock, 'text' | 'idText' | 'issueKey' | 'status'>>;

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
  readonly blocks = new BlockList();
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

  /** A new block in the current section, inside `panel` if given; `init` sets what a few kinds know at once. */
  reserve(kind: BlockKind, panel?: PanelRef, init?: BlockInit): PendingBlock {
    const block = new PendingBlock(kind, this.sectionIndex, this.blocks.length);
    block.panel = panel;
    if (init) Object.assign(block, init);
    this.blocks.push(block);
    return block;
  }

  /** reserve('listItem', …) without an options object: one per list item, and a page may have 100,000. */
  reserveListItem(depth: number, parentIndex: number | undefined, underAcceptanceLeadIn: boolean, panel: PanelRef | undefined, mayBeTask: boolean): PendingBlock {
    const block = this.reserve('listItem', panel);
    block.depth = depth;
    block.parentIndex = parentIndex;
    block.underAcceptanceLeadIn = underAcceptanceLeadIn;
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
  /**
   * Returns the warning's entry: a reader that raises one warning very often (a page may leave
   * 100,000 elements unclosed) may keep it and raise its `count` directly.
   */
  warn(code: string, subject: string, message: (count: number) => string): { count: number } {
    // Looked up by code, then subject (no composed key string).
    let bySubject = this.warningIndex.get(code);
    if (!bySubject) this.warningIndex.set(code, (bySubject = new Map()));
    const entry = bySubject.get(subject);
    if (entry) {
      entry.count++;
      return entry;
    }
    const created = { code, subject, count: 1, message };
    bySubject.set(subject, created);
    this.warnings.push(created);
    return created;
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
    // `keys` holds each kept block's id key text and `hashes` the hash of its whole id key (kind, NUL,
    // text: the same as hashing idKey(), without building that string).
    // Then, once it has an id, the block's id in the same place (its key is not needed after that, and
    // a page of 100,000 blocks spares an array as long): `idOf` below is the same array.
    const keys: (string | undefined)[] = new Array(this.blocks.length);
    const hashes = new Int32Array(this.blocks.length);
    // Per kind: the first kept block with each id key text, and the hash of "kind, NUL" to go on from.
    // Blocks come in runs of one kind, so the last kind's entry is kept at hand.
    const kinds = new Map<string, KindKeys>();
    let lastKind: KindKeys | undefined;
    // 1 for a block whose id key (kind and text) another kept block has too.
    const twin = new Uint8Array(this.blocks.length);
    // How many blocks each section keeps, and all sections together: the output arrays are made at
    // their final size (a page of 100,000 blocks would otherwise grow them through dozens of copies).
    const sectionCounts = new Int32Array(sections.length);
    let kept = 0;
    let maxDepth = 0;
    const count = this.blocks.length;
    for (let i = 0; i < count; i++) {
      const p = this.blocks.get(i);
      if (p.depth !== undefined && p.depth > maxDepth) maxDepth = p.depth;
      if (p.dropped) continue;
      let text = p.text ?? (p.kind === 'code' ? normaliseCode(joinParts(p.parts)) : normaliseText(joinParts(p.parts)));
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
      const key = idKeyText(p.idText ?? text);
      p.kind = kind;
      p.text = text;
      p.done = done;
      keys[p.index] = key;
      let perKind = lastKind;
      if (perKind?.kind !== kind) {
        perKind = kinds.get(kind);
        if (!perKind) kinds.set(kind, (perKind = { kind, first: new Map(), prefix: hashUnit(hashMore(hashStart(), kind), 0) }));
        lastKind = perKind;
      }
      hashes[p.index] = hashMore(perKind.prefix, key);
      const first = perKind.first.get(key);
      if (first === undefined) perKind.first.set(key, p.index);
      else twin[first] = twin[p.index] = 1;
      const sectionIndex = sections[p.sectionIndex] ? p.sectionIndex : 0;
      sectionCounts[sectionIndex] = sectionCounts[sectionIndex]! + 1;
      kept++;
    }
    for (let i = 0; i < sections.length; i++) if (sectionCounts[i]! > 0) sections[i]!.blockIds = new Array<string>(sectionCounts[i]!);
    const sectionFill = new Int32Array(sections.length);

    const idOf = keys;
    // Parent that survived (its index + 1; 0 for none): an empty list item that only wraps a nested
    // list hands its children up.
    const keptParent = new Int32Array(this.blocks.length);
    const blocks = new Array<SpecBlock>(kept);
    let filled = 0;
    // Given/When/Then steps continue a scenario across siblings (items of one list, or consecutive
    // paragraphs), even with nested items in between; a paragraph after a scenario list starts afresh.
    const siblings = new SiblingFlags(this.blocks.length, maxDepth);
    // What each section's headings say about its items, worked out once per section.
    const sectionTags: (SectionTagging | undefined)[] = new Array(sections.length);
    const tagger = new RequirementTagger();
    for (let i = 0; i < count; i++) {
      const p = this.blocks.get(i);
      const parent = p.parentIndex;
      const effectiveParent =
        parent === undefined ? undefined : idOf[parent] !== undefined ? parent : keptParent[parent] === 0 ? undefined : keptParent[parent]! - 1;
      keptParent[p.index] = effectiveParent === undefined ? 0 : effectiveParent + 1;
      const key = keys[p.index];
      if (p.dropped || key === undefined) continue;
      const { kind, done } = p;
      const text = p.text!;
      const sectionIndex = sections[p.sectionIndex] ? p.sectionIndex : 0;
      const section = sections[sectionIndex]!;
      // Twins are told apart by their heading path first, so a twin added in one section leaves the
      // twins of other sections alone; only twins within one section fall back to page order.
      let hash = hashes[p.index]!;
      if (twin[p.index] === 1) {
        hash = hashUnit(hash, 0);
        const path = section.headingPath;
        for (let i = 0; i < path.length; i++) hash = hashMore(i === 0 ? hash : hashUnit(hash, 0), path[i]!);
      }
      const id = blockIds.nextForHash(hash);
      idOf[p.index] = id;
      const siblingKey = siblings.key(p.sectionIndex, p.depth);
      const bits = tagger.tag(
        kind,
        text,
        done,
        (sectionTags[sectionIndex] ??= sectionTagging(section.headingPath)),
        p.underAcceptanceLeadIn,
        siblings.get(effectiveParent, siblingKey),
      );
      siblings.set(effectiveParent, siblingKey, (bits & TAG_BIT.gherkin) !== 0);
      const block = newBlock(id, kind, text, section, tagList(bits), tagger.requirementId, p.depth, effectiveParent === undefined ? NO_PARENT : idOf[effectiveParent]);
      if (kind === 'task') block.done = done ?? false;
      if (p.language) block.language = p.language;
      if (p.panel) block.panel = p.panel.title ? { kind: p.panel.kind, title: p.panel.title } : { kind: p.panel.kind };
      if (p.issueKey) block.issueKey = p.issueKey;
      if (p.status) block.status = p.status;
      if (p.cells) block.cells = p.cells;
      blocks[filled++] = block;
      section.blockIds[sectionFill[sectionIndex]!++] = id;
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
      language: languageOf(blocks),
      sections,
      blocks,
      warnings,
    };
  }
}

/** The kept blocks of one kind: the first block with each id key text, and the hash of "kind, NUL". */
interface KindKeys {
  kind: string;
  first: Map<string, number>;
  prefix: number;
}

/** The language of the blocks other than code, from as much of their text as detection reads. */
function languageOf(blocks: readonly SpecBlock[]): string {
  const sample = new LanguageSample();
  for (const b of blocks) if (b.kind !== 'code' && !sample.add(b.text)) break;
  return detectLanguageOfSample(sample.text);
}

/**
 * Whether the previous sibling (same section, same surviving parent, same depth) read as a
 * Given/When/Then step. A number per (section, depth) and one slot per parent instead of a map of
 * composed strings: a page of 100,000 nested items has 100,000 parents, nearly all with one group.
 */
class SiblingFlags {
  /** The (section, depth) key each parent's children were last seen with; -1 for none. Slot 0: no parent. */
  private readonly slotKey: Int32Array;
  private readonly slotFlag: Uint8Array;
  /** Parents whose children span more than one (section, depth). */
  private readonly more = new Map<number, Map<number, boolean>>();
  private readonly depthSpan: number;

  constructor(blockCount: number, maxDepth: number) {
    this.slotKey = new Int32Array(blockCount + 1).fill(-1);
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
 * The blocks of a finished document: plain objects (their prototype is Object.prototype, as a literal's
 * is), made by a constructor instead of an object literal. V8 moves a literal's allocation site to
 * the old generation once most of its objects survive, and a page of 100,000 blocks then pays a
 * write barrier for every field and early full collections; objects from a constructor start young.
 * The optional requirementId, depth and parentBlockId come in that order, each only when present,
 * and all fit in the object (the constructor names every field it may set).
 */
function blockRecord(
  this: Record<string, unknown>,
  id: string,
  kind: BlockKind,
  text: string,
  headingPath: readonly string[],
  sectionId: string,
  tags: SpecBlock['tags'],
  requirementId: string | undefined,
  depth: number | undefined,
  hasParent: boolean,
  parentBlockId: string | undefined,
): void {
  this.id = id;
  this.kind = kind;
  this.text = text;
  this.headingPath = headingPath;
  this.sectionId = sectionId;
  this.tags = tags;
  if (requirementId !== undefined) this.requirementId = requirementId;
  if (depth !== undefined) this.depth = depth;
  if (hasParent) this.parentBlockId = parentBlockId;
}
blockRecord.prototype = Object.prototype;
const BlockRecord = blockRecord as unknown as new (...args: Parameters<typeof blockRecord>) => SpecBlock;

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
  return new BlockRecord(id, kind, text, section.headingPath, section.id, tags, requirementId, depth, parent !== NO_PARENT, parent === NO_PARENT ? undefined : parent);
}
