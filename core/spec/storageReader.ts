// Reads Confluence storage format (XHTML with ac:/ri: elements, usually without a root element or
// namespace declarations, with HTML named entities) — and the HTML that the Markdown and plain-text
// readers produce — into a DocumentBuilder. htmlparser2's tokenizer with HTML's tree rules (htmlTree.ts)
// decodes HTML entities, recovers from unclosed and mismatched tags, and never recurses; this reader
// keeps its own explicit stacks, so a 5,000-deep list costs memory, not call-stack depth. Every step
// is O(1) however deep the page nests (the innermost text sink is kept on its own stack, a target
// knows its place on the target stack, a list's lead-in is read from the tail of the text before it),
// so parsing time grows with page size only.

import { parseHtmlTree } from './htmlTree.ts';
import { PendingBlock, addTextPart, type BlockList, joinParts, partsFromEnd, type DocumentBuilder, type PanelRef, type TextParts } from './documentBuilder.ts';
import type { PanelKind } from './types.ts';
import { emoticonText } from './emoticons.ts';
import { normaliseCode, normaliseInline, normaliseText } from './normaliseText.ts';
import { MIN_LENGTH, isAcceptanceLeadIn } from './requirements.ts';
import { IntStack, lastOf } from './intStack.ts';

/** Lists nested deeper than this are recorded at this depth (with a warning). */
export const MAX_LIST_DEPTH = 64;
/** Links, captions and macro parameters nested deeper than this are read as text of the enclosing one. */
const MAX_CAPTURE_DEPTH = 8;

const VOID = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'area', 'base', 'col', 'embed', 'param', 'source', 'track', 'wbr']);
// Elements whose end tag HTML lets authors omit: closing them implicitly is normal, not damage.
const OPTIONAL_END = new Set(['p', 'li', 'td', 'th', 'tr', 'thead', 'tbody', 'tfoot', 'dt', 'dd', 'option', 'colgroup', 'caption', 'html', 'head', 'body']);
const BLOCK_LEVEL = new Set([
  'p', 'div', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'hr', 'section', 'article', 'header', 'footer',
  'nav', 'aside', 'figure', 'ac:task-list', 'ac:task', 'ac:layout', 'ac:layout-section', 'ac:layout-cell',
  'ac:rich-text-body',
]);
const HEADING_LEVEL: Record<string, number> = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };
const PANEL_MACROS = new Set<PanelKind>(['info', 'note', 'warning', 'tip', 'panel', 'expand', 'details', 'excerpt', 'section']);
const CODE_MACROS = new Set(['code', 'noformat', 'code-block']);
// Macros whose body is ordinary page content without a panel of its own.
const TRANSPARENT_MACROS = new Set(['column', 'div', 'span', 'ui-tabs', 'ui-tab', 'center']);
// Navigation and decoration macros: nothing a reader would call page text, so skipped without a warning.
const SILENT_MACROS = new Set([
  'anchor', 'toc', 'toc-zone', 'children', 'pagetree', 'pagetreesearch', 'attachments', 'recently-updated',
  'livesearch', 'contributors', 'contributors-summary', 'profile', 'create-from-template', 'blog-posts',
  'contentbylabel', 'content-by-label', 'space-details', 'index', 'viewpdf', 'view-file', 'gallery',
  'widget', 'multimedia', 'popular-labels', 'listlabels', 'related-labels', 'page-index', 'change-history',
  'recently-updated-dashboard', 'roadmap', 'lozenge',
]);
const SKIPPED_SILENTLY = new Set(['script', 'style', 'ac:placeholder', 'ac:task-id', 'ac:task-uuid', 'ac:task-assignee', 'ac:adf-fallback']);
const RESOURCE_ELEMENTS = new Set(['ri:page', 'ri:blog-post', 'ri:user', 'ri:attachment', 'ri:space', 'ri:url', 'ri:content-entity', 'ri:shortcut']);

// Regular expressions the hot paths use live here: a literal inside a function is a new object each call.
const HAS_TEXT = /\S/;
const LANGUAGE_CLASS = /(?:^|\s)language-([\w+#.-]+)/;

type Flatten = 'all' | 'listItem';

/**
 * Text collected aside from any block (a link body, a macro parameter, a table cell, a heading), with
 * the same bookkeeping fields as a PendingBlock, which is its own text target.
 */
class TextBuffer {
  parts: TextParts = '';
  prose = false;
  /** Set for a table cell: nested blocks become line breaks. */
  flatten: Flatten | undefined = undefined;
  /** Never closed by the element stack shrinking (only loose-text paragraphs are). */
  readonly implicitBelow = -1;
  at = -1;

  constructor(flatten?: Flatten) {
    this.flatten = flatten;
  }
}

/**
 * Where text currently goes: a block being written (its `flatten` says how nested blocks fold into
 * it), or a side buffer. `at` is its index on the target stack while it is there (-1 once closed);
 * `implicitBelow` (-1 for none) closes a paragraph opened by loose text when the element stack
 * shrinks below that length.
 */
type Target = PendingBlock | TextBuffer;

/**
 * The reader's open text targets, innermost last, as numbers (a page of 100,000 nested items keeps
 * 100,000 open): a block by its index (0 up), a text buffer by its place on a stack of its own (-1
 * down). The targets with `flatten` set (block-level text sinks) are a second stack of the same numbers.
 */
class TargetStack {
  private readonly codes = new IntStack(256);
  private readonly sinkCodes = new IntStack(256);
  private readonly buffers: TextBuffer[] = [];

  constructor(private readonly blocks: BlockList) {}

  get length(): number {
    return this.codes.length;
  }

  get sinkCount(): number {
    return this.sinkCodes.length;
  }

  top(): Target | undefined {
    return this.codes.length === 0 ? undefined : this.target(this.codes.top());
  }

  /** The innermost sink. */
  topSink(): Target | undefined {
    return this.sinkCodes.length === 0 ? undefined : this.target(this.sinkCodes.top());
  }

  at(index: number): Target {
    return this.target(this.codes.get(index));
  }

  push(target: Target): void {
    target.at = this.codes.length;
    let code: number;
    if (target instanceof PendingBlock) code = target.index;
    else {
      this.buffers.push(target);
      code = -this.buffers.length;
    }
    this.codes.push(code);
    if (target.flatten) this.sinkCodes.push(code);
  }

  pop(): Target {
    const code = this.codes.pop();
    const top = code >= 0 ? this.blocks.get(code) : this.buffers.pop()!;
    top.at = -1;
    if (top.flatten) this.sinkCodes.pop();
    return top;
  }

  private target(code: number): Target {
    return code >= 0 ? this.blocks.get(code) : this.buffers[-1 - code]!;
  }
}

/**
 * What closing each open element does, as one number on the frame stack (a page of 100,000 unclosed
 * elements keeps 100,000 of them, and numbers in a typed array cost the garbage collector nothing):
 * nothing; end a list (the open lists are numbers too: depth, parent item, acceptance); a line break;
 * nothing but naming a link's resource (links nested too deep); finish the block with index i
 * (BLOCK_BASE - i); or, from 0 up, the frame or text buffer at that place on the object stack.
 */
const CLOSE_NOTHING = -1;
const CLOSE_LIST = -2;
const CLOSE_LINE = -3;
const CLOSE_DEEP_LINK = -4;
const BLOCK_BASE = -8;

/** The parent-item stack's value for a list with no parent item. */
const NO_PARENT_ITEM = -1;

interface TableContext {
  headers: string[] | null;
  inHead: boolean;
}

interface RowContext {
  block: PendingBlock;
  cells: { text: string; th: boolean }[];
  inHead: boolean;
}

interface MacroContext {
  name: string;
  params: Record<string, string>;
  body: string[];
}

interface ResourceConsumer {
  ref?: string;
  /** Which ri: element named the target (ri:user, ri:page, …). */
  refKind?: string;
  caption?: string;
}

/** What an open element must do when it closes; most elements need nothing, and get no frame kept. */
interface Frame {
  onClose?: () => void;
  /** A block target this element ends (data instead of a closure: deep pages hold one per level). */
  finishes?: Target;
  /** A list this element ends. */
  endsList?: boolean;
  macro?: MacroContext;
  resource?: ResourceConsumer;
}

interface SkipState {
  depth: number;
  kind: 'silent' | 'macro' | 'extension';
  name: string;
  sniffKey?: string;
  sniffed: Record<string, string>;
}

export interface StorageReaderOptions {
  /** Treat "[ ] text" / "[x] text" list items as tasks (GFM task lists in Markdown and plain text). */
  listItemTasks?: boolean;
}

/** "https://x.test/a/flow%20chart.png?v=2" → "flow chart.png" (undecodable escapes are kept as written). */
/**
 * How much of the text before a list is read to find its lead-in line: a lead-in is at most 200
 * characters, and reading only a tail keeps a paragraph followed by thousands of lists linear.
 */
const LEAD_IN_TAIL = 2048;

/**
 * The last line (after normalisation) of the last `max` characters, or more up to a part boundary, of
 * the text in `parts`; undefined when that line starts before the tail (it is longer than any lead-in).
 */
function lastLineOfTail(parts: TextParts, max: number): string | undefined {
  let text: string;
  let whole = true;
  if (typeof parts === 'string') {
    whole = parts.length <= max;
    text = whole ? parts : parts.slice(parts.length - max);
  } else {
    // Newest first, as far back as `max` characters (or to the start).
    const tail: string[] = [];
    let length = 0;
    for (const part of partsFromEnd(parts)) {
      if (length >= max) {
        whole = false;
        break;
      }
      if (part.length > max - length) {
        tail.push(part.slice(part.length - (max - length)));
        whole = false;
        break;
      }
      tail.push(part);
      length += part.length;
    }
    text = tail.length === 1 ? tail[0]! : tail.reverse().join('');
  }
  if (!text) return '';
  const normalised = normaliseText(text);
  const newline = normalised.lastIndexOf('\n');
  // A tail that does not reach back to the start, read as one line: that line began before the tail.
  if (!whole && newline < 0) return undefined;
  return newline < 0 ? normalised : normalised.slice(newline + 1);
}

/** What the reader needs to know of an element name, looked up once per element instead of in several sets. */
class ElementFacts {
  readonly blockLevel: boolean;
  /** Closing it implicitly (end of page, a mismatched end tag) loses nothing worth a warning. */
  readonly closesQuietly: boolean;
  /** The page's "not closed properly" warning for this name, once raised (then only counted). */
  unclosed: { count: number } | undefined;

  constructor(readonly name: string) {
    this.blockLevel = BLOCK_LEVEL.has(name);
    this.closesQuietly = VOID.has(name) || OPTIONAL_END.has(name);
  }

  message(): (count: number) => string {
    const name = this.name;
    return (n) =>
      n === 1
        ? `The element <${name}> was not closed properly; its text was kept.`
        : `The element <${name}> was not closed properly ${n} times; the text was kept.`;
  }
}

function isFrame(entry: Frame | Target): entry is Frame {
  return !(entry instanceof PendingBlock || entry instanceof TextBuffer);
}

/** Adds text to a target. */
function addPart(target: Target, text: string): void {
  target.parts = addTextPart(target.parts, text);
}

function fileNameOf(src: string): string {
  const name = src.split(/[?#]/)[0]!.split('/').pop() ?? '';
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

export function readStorage(source: string, builder: DocumentBuilder, options: StorageReaderOptions = {}): void {
  const reader = new StorageReader(builder, options);
  parseHtmlTree(source, reader);
  reader.finish();
}

class StorageReader {
  /** One entry per open element, innermost last: what closing it does (see CLOSE_NOTHING). */
  private readonly frames = new IntStack(256);
  /** The frames and text buffers the frame stack points to, innermost last. */
  private readonly frameObjects: (Frame | TextBuffer)[] = [];
  /**
   * Beside `frames`, at the same index: 1 when that open element has had text or child elements (for
   * the unclosed-tag warning). Bytes, not an array of booleans: nothing for the garbage collector to trace.
   */
  private hadContent = new Uint8Array(256);
  private readonly targets: TargetStack;
  /** The open lists, innermost last: their depth, parent item's index (NO_PARENT_ITEM for none) and whether they hold criteria. */
  private readonly listDepth = new IntStack();
  private readonly listParent = new IntStack();
  /** 1 when the list holds criteria, else 0. */
  private readonly listAcceptance = new IntStack();
  private readonly tables: TableContext[] = [];
  private readonly rows: RowContext[] = [];
  private readonly panels: PanelRef[] = [];
  private skip: SkipState | undefined;
  private depthWarned = false;
  /** One shared close action for the many elements that only end a line (no closure per element). */
  private readonly lineBreakOnClose = (): void => this.separator('\n');
  /** The frame of every element that only ends a line when it closes: one, kept as often as needed. */
  private readonly lineBreakFrame: Frame = { onClose: this.lineBreakOnClose, finishes: undefined, endsList: undefined, macro: undefined, resource: undefined };
  /**
   * What links nested too deep to capture (their text flows to the enclosing one) name as their
   * resource: only ever written (a mention inside still belongs to a link), so one serves them all.
   */
  private readonly deepLinkResource: ResourceConsumer = {};
  private readonly deepLinkFrame: Frame = { onClose: undefined, finishes: undefined, endsList: undefined, macro: undefined, resource: this.deepLinkResource };
  /** What the reader knows of each element name on the page. */
  private readonly factsByName = new Map<string, ElementFacts>();
  /** The heading being read; a block element inside it (an unclosed <h1>) ends it early. */
  private heading: { target: Target; level: number } | undefined;
  /** The frame open() fills in for each opening element. */
  private readonly scratch: Frame = { onClose: undefined, finishes: undefined, endsList: undefined, macro: undefined, resource: undefined };

  constructor(
    private readonly doc: DocumentBuilder,
    private readonly options: StorageReaderOptions,
  ) {
    this.targets = new TargetStack(doc.blocks);
  }

  // ---- tree events -------------------------------------------------------------------------

  onopentag(name: string, attrs: Readonly<Record<string, string>>): void {
    if (this.skip) {
      this.skip.depth++;
      if (this.skip.kind === 'extension') this.sniffOpen(name, attrs);
      return;
    }
    const depth = this.frames.length;
    const parent = this.frameOf(this.frames.top());
    if (depth > 0) this.hadContent[depth - 1] = 1;
    // Filled in by open(); copied only when the element needs a frame of its own (no closure keeps it).
    const frame = this.scratch;
    frame.onClose = undefined;
    frame.finishes = undefined;
    frame.endsList = undefined;
    frame.macro = undefined;
    frame.resource = undefined;
    if (this.facts(name).blockLevel) {
      if (this.heading) this.endHeading();
      this.closeImplicitParagraph();
    }
    if (!this.open(name, attrs, frame, parent)) return;
    // Only what closing needs stays alive: a page of 100,000 unclosed elements keeps 100,000 open.
    let code: number;
    if (frame.onClose === undefined && frame.macro === undefined && frame.resource === undefined && (frame.finishes === undefined || frame.endsList === undefined)) {
      const target = frame.finishes as Target | undefined; // set by open(), which the compiler does not follow
      if (target === undefined) code = frame.endsList ? CLOSE_LIST : CLOSE_NOTHING;
      else if (target instanceof PendingBlock) code = BLOCK_BASE - target.index;
      else code = this.keepFrameObject(target);
    } else if (frame.finishes === undefined && frame.endsList === undefined && frame.macro === undefined && (
      (frame.onClose === this.lineBreakOnClose && frame.resource === undefined) ||
      (frame.onClose === undefined && frame.resource === this.deepLinkResource)
    )) {
      code = frame.resource === undefined ? CLOSE_LINE : CLOSE_DEEP_LINK;
    } else {
      code = this.keepFrameObject({ onClose: frame.onClose, finishes: frame.finishes, endsList: frame.endsList, macro: frame.macro, resource: frame.resource });
    }
    this.frames.push(code);
    if (depth === this.hadContent.length) {
      const grown = new Uint8Array(depth * 2);
      grown.set(this.hadContent);
      this.hadContent = grown;
    }
    this.hadContent[depth] = 0;
  }

  onclosetag(name: string, isImplied: boolean): void {
    if (this.skip) {
      this.skip.depth--;
      if (this.skip.depth === 0) this.endSkip();
      else if (this.skip.sniffKey && name === 'ac:adf-attribute') this.skip.sniffKey = undefined;
      return;
    }
    if (this.frames.length === 0) return;
    const code = this.frames.pop();
    const object = code >= 0 ? this.frameObjects.pop() : undefined;
    const hadContent = this.hadContent[this.frames.length] === 1;
    while (this.targets.length > 0) {
      const top = this.targets.top()!;
      if (top.implicitBelow !== -1 && this.frames.length < top.implicitBelow) this.finishTarget(top);
      else break;
    }
    if (isImplied && hadContent) {
      const facts = this.facts(name);
      if (!facts.closesQuietly) {
        if (facts.unclosed) facts.unclosed.count++;
        else facts.unclosed = this.doc.warn('unclosed_tag', name, facts.message());
      }
    }
    if (code === CLOSE_NOTHING || code === CLOSE_DEEP_LINK) return;
    if (code === CLOSE_LIST) return this.popList();
    if (code === CLOSE_LINE) return this.lineBreakOnClose();
    if (code <= BLOCK_BASE) return this.finishTarget(this.doc.blocks.get(BLOCK_BASE - code));
    const frame = object!;
    if (!isFrame(frame)) return this.finishTarget(frame);
    if (frame.finishes) this.finishTarget(frame.finishes);
    if (frame.endsList) this.popList();
    frame.onClose?.();
  }

  ontext(text: string): void {
    if (this.skip) {
      if (this.skip.sniffKey) this.skip.sniffed[this.skip.sniffKey] = (this.skip.sniffed[this.skip.sniffKey] ?? '') + text;
      return;
    }
    if (this.frames.length > 0) this.hadContent[this.frames.length - 1] = 1;
    this.append(text, true);
  }

  finish(): void {
    while (this.targets.length > 0) this.finishTarget(this.targets.top()!);
  }

  /** Puts a frame or text buffer on the object stack; returns its frame-stack code. */
  private keepFrameObject(object: Frame | TextBuffer): number {
    this.frameObjects.push(object);
    return this.frameObjects.length - 1;
  }

  /** The frame a frame-stack code stands for, if it stands for one (a parent element's frame). */
  private frameOf(code: number): Frame | undefined {
    if (code === CLOSE_LINE) return this.lineBreakFrame;
    if (code === CLOSE_DEEP_LINK) return this.deepLinkFrame;
    if (code < 0) return undefined;
    const object = this.frameObjects[code]!;
    return isFrame(object) ? object : undefined;
  }

  private facts(name: string): ElementFacts {
    let facts = this.factsByName.get(name);
    if (facts === undefined) {
      facts = new ElementFacts(name);
      this.factsByName.set(name, facts);
    }
    return facts;
  }

  // ---- element dispatch ----------------------------------------------------------------------

  /** Sets up a frame for an opening element; returns false when the element's subtree is skipped. */
  private open(name: string, attrs: Readonly<Record<string, string>>, frame: Frame, parent: Frame | undefined): boolean {
    const level = HEADING_LEVEL[name];
    if (level !== undefined) return this.openHeading(level, frame);
    switch (name) {
      case 'p':
      case 'dt':
      case 'dd':
        return this.openParagraph(frame);
      case 'div':
      case 'section':
      case 'article':
      case 'header':
      case 'footer':
      case 'aside':
      case 'figure':
      case 'dl':
      case 'ac:layout-cell':
        this.separator('\n');
        frame.onClose = this.lineBreakOnClose;
        return true;
      case 'ac:task-list':
        this.breakParagraph();
        return this.openList(frame);
      case 'ul':
      case 'ol':
        return this.openList(frame);
      case 'li':
        return this.openListItem(frame);
      case 'ac:task':
        return this.openTask(frame);
      case 'ac:task-status':
        return this.openTaskStatus(frame);
      case 'table':
        return this.openTable(frame);
      case 'thead':
        return this.openTableHead(frame);
      case 'tr':
        return this.openRow(frame);
      case 'td':
      case 'th':
        return this.openCell(name === 'th', frame);
      case 'blockquote':
        return this.openSink(frame, 'quote', 'all');
      case 'pre':
        return this.openSink(frame, 'code', 'all', true);
      case 'code': {
        const lang = LANGUAGE_CLASS.exec(attrs.class ?? '')?.[1];
        const sink = this.currentSink();
        if (lang && sink instanceof PendingBlock && sink.kind === 'code') sink.language = lang;
        return true;
      }
      case 'br':
        this.append('\n', false);
        return true;
      case 'hr':
        return true;
      case 'img':
        this.addImage(fileNameOf(attrs.src ?? ''), attrs.alt ?? attrs.title ?? '');
        return true;
      case 'a':
        return this.openLink(frame, attrs.href ?? '');
      case 'time':
        this.append(attrs.datetime ?? '', true);
        if (attrs.datetime) return this.startSkip('silent', name);
        return true;
      case 'ac:link':
        return this.openLink(frame, attrs['ac:anchor'] ? `#${attrs['ac:anchor']}` : '');
      case 'ac:image':
        return this.openImage(frame, attrs);
      case 'ac:caption':
        return this.openCaption(frame, parent);
      case 'ac:emoticon':
        this.append(emoticonText(attrs), false);
        return true;
      case 'ac:structured-macro':
      case 'ac:macro':
        return this.openMacro(frame, attrs);
      case 'ac:parameter':
        if (!parent?.macro) return this.startSkip('silent', name);
        return this.openParameter(frame, parent.macro, (attrs['ac:name'] ?? '').toLowerCase());
      case 'ac:plain-text-body':
        if (!parent?.macro || !CODE_MACROS.has(parent.macro.name)) return this.startSkip('silent', name);
        return this.openPlainTextBody(frame, parent.macro);
      case 'ac:adf-extension':
        return this.startSkip('extension', name);
      default:
        if (SKIPPED_SILENTLY.has(name)) return this.startSkip('silent', name);
        if (RESOURCE_ELEMENTS.has(name)) {
          this.resource(name, attrs, parent);
          return true;
        }
        return true;
    }
  }

  // What needs a closure when it closes is set up in methods of its own: a closure in open() would
  // make every call of it allocate a context for the variables it captures, for every element.

  private openTaskStatus(frame: Frame): boolean {
    return this.openCapture(frame, (text) => {
      const task = this.currentSink();
      if (task instanceof PendingBlock && task.kind === 'task') task.done = text.trim().toLowerCase() === 'complete';
    });
  }

  private openTableHead(frame: Frame): boolean {
    const table = lastOf(this.tables);
    if (table && !this.currentSink()) {
      table.inHead = true;
      frame.onClose = () => (table.inHead = false);
    }
    return true;
  }

  private openCaption(frame: Frame, parent: Frame | undefined): boolean {
    return this.openCapture(frame, (text) => {
      if (parent?.resource) parent.resource.caption = normaliseInline(text);
    });
  }

  private openParameter(frame: Frame, macro: MacroContext, key: string): boolean {
    return this.openCapture(frame, (text) => {
      macro.params[key] = text;
    });
  }

  private openPlainTextBody(frame: Frame, macro: MacroContext): boolean {
    return this.openCapture(frame, (text) => macro.body.push(text));
  }

  private openHeading(level: number, frame: Frame): boolean {
    if (this.currentSink()) {
      this.separator('\n');
      frame.onClose = this.lineBreakOnClose;
      return true;
    }
    const target = new TextBuffer();
    this.targets.push(target);
    this.heading = { target, level };
    frame.onClose = () => {
      if (this.heading?.target === target) this.endHeading();
    };
    return true;
  }

  private endHeading(): void {
    const heading = this.heading!;
    this.heading = undefined;
    this.popTarget(heading.target);
    this.doc.openSection(heading.level, joinParts(heading.target.parts));
  }

  /**
   * A block macro or task list inside an unclosed <p> starts new blocks instead of being folded into
   * the paragraph (HTML parsing does not close <p> for elements it does not know).
   */
  private breakParagraph(): void {
    this.closeImplicitParagraph();
    const top = this.targets.top();
    if (top instanceof PendingBlock && top.kind === 'paragraph') this.finishTarget(top);
  }

  private openParagraph(frame: Frame): boolean {
    if (this.currentSink() || this.inCapture()) {
      this.separator('\n');
      frame.onClose = this.lineBreakOnClose;
      return true;
    }
    return this.openSink(frame, 'paragraph', 'all');
  }

  private openSink(frame: Frame, kind: 'paragraph' | 'quote' | 'code', flatten: Flatten, preformatted = false): boolean {
    const outer = this.currentSink();
    if ((outer && outer.flatten === 'all') || this.inCapture()) {
      this.separator('\n');
      frame.onClose = this.lineBreakOnClose;
      return true;
    }
    const block = this.doc.reserve(kind, this.currentPanel());
    block.flatten = flatten;
    block.prose = preformatted;
    this.targets.push(block);
    frame.finishes = block;
    return true;
  }

  private openList(frame: Frame): boolean {
    const sink = this.currentSink();
    if (sink?.flatten === 'all') return true;
    const open = this.listDepth.length;
    let depth = open;
    if (depth > MAX_LIST_DEPTH) {
      depth = MAX_LIST_DEPTH;
      if (!this.depthWarned) {
        this.depthWarned = true;
        this.doc.warn('depth_capped', '', () => `Lists are nested deeper than ${MAX_LIST_DEPTH} levels; deeper items are treated as level ${MAX_LIST_DEPTH}.`);
      }
    }
    const parentItem = sink?.flatten === 'listItem' && sink instanceof PendingBlock ? sink : undefined;
    const acceptance = (open > 0 && this.listAcceptance.top() === 1) || this.leadInIsAcceptance(sink);
    this.listDepth.push(depth);
    this.listParent.push(parentItem?.index ?? NO_PARENT_ITEM);
    this.listAcceptance.push(acceptance ? 1 : 0);
    frame.endsList = true;
    return true;
  }

  /** Whether the text right before a list ("Acceptance criteria:", or the parent item's own text) introduces criteria. */
  private leadInIsAcceptance(sink: Target | undefined): boolean {
    let parts: TextParts | undefined;
    if (sink?.flatten === 'listItem') {
      parts = sink.parts;
    } else {
      // Only a paragraph that is the page's last block so far (not dropped) leads in.
      const last = this.doc.blocks.last();
      if (last && !last.dropped && last.kind === 'paragraph') parts = last.parts;
    }
    // Normalising only shortens a text: one shorter than any lead-in phrase needs no reading.
    if (parts === undefined || (typeof parts === 'string' && parts.length < MIN_LENGTH.acceptanceLeadIn)) return false;
    const line = lastLineOfTail(parts, LEAD_IN_TAIL);
    return line !== undefined && isAcceptanceLeadIn(line);
  }

  /** Inside a sink whose nested blocks become line breaks (a paragraph, quote, task body…), an item is a bullet line. */
  private bulletInFlattenedText(frame: Frame): boolean {
    if (this.currentSink()?.flatten !== 'all') return false;
    this.separator('\n• ');
    frame.onClose = this.lineBreakOnClose;
    return true;
  }

  private popList(): void {
    this.listDepth.pop();
    this.listParent.pop();
    this.listAcceptance.pop();
  }

  private openListItem(frame: Frame): boolean {
    if (this.bulletInFlattenedText(frame)) return true;
    const open = this.listDepth.length;
    const parent = open > 0 ? this.listParent.top() : NO_PARENT_ITEM;
    const block = this.doc.reserveListItem(
      open > 0 ? this.listDepth.top() : 0,
      parent === NO_PARENT_ITEM ? undefined : parent,
      this.listAcceptance.top() === 1,
      this.currentPanel(),
      this.options.listItemTasks === true,
    );
    block.flatten = 'listItem';
    this.targets.push(block);
    frame.finishes = block;
    return true;
  }

  private openTask(frame: Frame): boolean {
    if (this.bulletInFlattenedText(frame)) return true;
    const block = this.doc.reserve('task', this.currentPanel());
    block.done = false;
    block.underAcceptanceLeadIn = this.listAcceptance.top() === 1;
    block.flatten = 'all';
    this.targets.push(block);
    frame.finishes = block;
    return true;
  }

  private openTable(frame: Frame): boolean {
    if (this.currentSink()) {
      this.separator('\n');
      frame.onClose = this.lineBreakOnClose;
      return true;
    }
    const table: TableContext = { headers: null, inHead: false };
    this.tables.push(table);
    frame.onClose = () => {
      if (lastOf(this.tables) === table) this.tables.pop();
    };
    return true;
  }

  private openRow(frame: Frame): boolean {
    if (this.currentSink()) {
      this.separator('\n');
      frame.onClose = this.lineBreakOnClose;
      return true;
    }
    let table = lastOf(this.tables);
    if (!table) {
      table = { headers: null, inHead: false };
      this.tables.push(table);
    }
    const row: RowContext = { block: this.doc.reserve('tableRow', this.currentPanel()), cells: [], inHead: table.inHead };
    this.rows.push(row);
    const owner = table;
    frame.onClose = () => {
      if (lastOf(this.rows) === row) this.rows.pop();
      this.finishRow(row, owner);
    };
    return true;
  }

  private openCell(th: boolean, frame: Frame): boolean {
    const sink = this.currentSink();
    const row = lastOf(this.rows);
    if (sink || !row) {
      if (sink) {
        this.separator(' ');
        return true;
      }
      return this.openSink(frame, 'paragraph', 'all');
    }
    const target = new TextBuffer('all');
    this.targets.push(target);
    frame.onClose = () => {
      this.popTarget(target);
      row.cells.push({ text: normaliseInline(joinParts(target.parts)), th });
    };
    return true;
  }

  private finishRow(row: RowContext, table: TableContext): void {
    const { block, cells } = row;
    if (cells.length === 0 || cells.every((c) => c.text === '')) {
      block.dropped = true;
      return;
    }
    const allHeader = cells.every((c) => c.th);
    if (row.inHead || (allHeader && cells.length > 1)) {
      table.headers = cells.map((c) => c.text);
      block.dropped = true;
      return;
    }
    let out: { header?: string; text: string }[];
    const first = cells[0]!;
    if (table.headers) {
      out = cells.map((c, i) => {
        const header = table.headers![i];
        return header ? { header, text: c.text } : { text: c.text };
      });
    } else if (first.th && cells.length > 1) {
      // A row label in a th cell ("Owner | Alice"): it is the header of the cells beside it.
      out = cells.slice(1).map((c) => (first.text ? { header: first.text, text: c.text } : { text: c.text }));
    } else {
      out = cells.map((c) => ({ text: c.text }));
    }
    block.cells = out;
    block.text = out
      .filter((c) => c.text !== '')
      .map((c) => (c.header ? `${c.header}: ${c.text}` : c.text))
      .join('; ');
    if (!block.text) block.dropped = true;
    // The id comes from the row's own cells: renaming or adding a column (a header edit) must not
    // change the id of every row below it.
    block.idText = cells
      .filter((c) => c.text !== '')
      .map((c) => c.text)
      .join('; ');
  }

  private openLink(frame: Frame, ref: string): boolean {
    if (this.capturesTooDeep()) {
      frame.resource = this.deepLinkResource;
      return true;
    }
    const resource: ResourceConsumer = { ref: ref || undefined };
    frame.resource = resource;
    const target = new TextBuffer();
    this.targets.push(target);
    frame.onClose = () => {
      this.popTarget(target);
      const body = normaliseInline(joinParts(target.parts));
      let text: string;
      if (resource.refKind === 'ri:user') text = body ? (body.startsWith('@') ? body : `@${body}`) : '@user';
      else text = body || resource.ref || '';
      if (text) this.append(text, true);
    };
    return true;
  }

  private openImage(frame: Frame, attrs: Readonly<Record<string, string>>): boolean {
    const resource: ResourceConsumer = {};
    frame.resource = resource;
    const block = this.doc.reserve('image', this.currentPanel());
    frame.onClose = () => {
      this.describeImage(block, resource.ref ?? '', attrs['ac:alt'] ?? resource.caption ?? attrs['ac:title'] ?? '');
    };
    return true;
  }

  private addImage(name: string, alt: string): void {
    this.describeImage(this.doc.reserve('image', this.currentPanel()), name, alt);
  }

  private describeImage(block: PendingBlock, name: string, alt: string): void {
    const label = normaliseInline(name);
    const description = normaliseInline(alt);
    const base = label ? `Image: ${label}` : 'Image';
    block.text = description && description !== label ? `${base} (${description})` : base;
  }

  private resource(name: string, attrs: Readonly<Record<string, string>>, parent: Frame | undefined): void {
    const consumer = parent?.resource;
    const ref =
      attrs['ri:content-title'] ??
      attrs['ri:filename'] ??
      attrs['ri:value'] ??
      attrs['ri:space-key'] ??
      (name === 'ri:user' ? '@user' : undefined);
    if (consumer) {
      if (consumer.refKind === undefined) {
        consumer.refKind = name;
        if (ref !== undefined) consumer.ref = ref;
      }
      return;
    }
    // A mention outside a link (older pages) still reads as a mention.
    if (name === 'ri:user') this.append('@user', true);
  }

  private openMacro(frame: Frame, attrs: Readonly<Record<string, string>>): boolean {
    const name = (attrs['ac:name'] ?? '').toLowerCase();
    if (name.includes('forge')) return this.startSkip('extension', name);
    const macro: MacroContext = { name, params: {}, body: [] };
    frame.macro = macro;
    if (CODE_MACROS.has(name)) {
      this.breakParagraph();
      const sink = this.currentSink();
      if (sink?.flatten === 'all') {
        frame.onClose = () => this.append(`\n${normaliseCode(macro.body.join(''))}\n`, true);
        return true;
      }
      const block = this.doc.reserve('code', this.currentPanel());
      frame.onClose = () => {
        block.text = normaliseCode(macro.body.join(''));
        const language = macro.params.language?.trim();
        if (language) block.language = language;
        if (!block.text) block.dropped = true;
      };
      return true;
    }
    if (PANEL_MACROS.has(name as PanelKind)) {
      this.breakParagraph();
      const panel: PanelRef = { kind: name as PanelKind };
      this.panels.push(panel);
      frame.onClose = () => {
        const title = normaliseInline(macro.params.title ?? '');
        if (title) panel.title = title;
        if (lastOf(this.panels) === panel) this.panels.pop();
      };
      return true;
    }
    if (TRANSPARENT_MACROS.has(name)) return true;
    if (name === 'status') {
      frame.onClose = () => {
        const title = normaliseInline(macro.params.title ?? '') || normaliseInline(macro.params.colour ?? macro.params.color ?? '') || 'Status';
        const colour = (macro.params.colour ?? macro.params.color)?.trim();
        this.append(`[${title}]`, false);
        this.doc.reserve('status', this.currentPanel(), { text: `Status: ${title}`, status: colour ? { title, colour } : { title } });
      };
      return true;
    }
    if (name === 'jira' || name === 'jiraissues') {
      frame.onClose = () => {
        const key = macro.params.key?.trim();
        if (!key) {
          this.doc.warn('skipped_macro', 'jira-query', (n) =>
            `Skipped ${n === 1 ? 'a Jira issue list' : `${n} Jira issue lists`} (JQL query): the listed issues are not page text.`,
          );
          return;
        }
        this.append(key, false);
        this.doc.reserve('jiraIssue', this.currentPanel(), { text: `Jira issue ${key}`, issueKey: key });
      };
      return true;
    }
    if (SILENT_MACROS.has(name)) return this.startSkip('silent', name);
    if (name === 'include' || name === 'excerpt-include') {
      this.doc.warn('skipped_macro', name, (n) =>
        `Skipped ${n === 1 ? 'an' : n} '${name}' macro${n === 1 ? '' : 's'}: text included from other pages is not read; break those pages down on their own.`,
      );
      return this.startSkip('silent', name);
    }
    return this.startSkip('macro', name || 'unnamed macro');
  }

  // ---- text routing --------------------------------------------------------------------------

  private currentSink(): Target | undefined {
    return this.targets.topSink();
  }

  /**
   * Side buffers nested this deep (links inside links…, which no editor writes) pass their text to the
   * enclosing one: each buffer re-reads everything inside it when it closes, so unbounded nesting
   * would cost time quadratic in the page.
   */
  private capturesTooDeep(): boolean {
    return this.targets.length - this.targets.sinkCount >= MAX_CAPTURE_DEPTH;
  }


  /** Text currently goes to a side buffer (caption, link body, parameter): blocks inside it are just lines. */
  private inCapture(): boolean {
    const top = this.targets.top();
    return top !== undefined && top.flatten === undefined;
  }

  private currentPanel(): PanelRef | undefined {
    return lastOf(this.panels);
  }

  private append(text: string, prose: boolean): void {
    let target = this.targets.top();
    if (!target) {
      if (!HAS_TEXT.test(text)) return;
      // Loose text outside any block (between macros, in a layout cell): a paragraph of its own.
      const block = this.doc.reserve('paragraph', this.currentPanel());
      block.flatten = 'all';
      block.implicitBelow = this.frames.length;
      this.targets.push(block);
      target = block;
    }
    addPart(target, text);
    if (prose && !target.prose && HAS_TEXT.test(text)) target.prose = true;
  }

  private separator(text: string): void {
    const target = this.targets.top();
    if (target) addPart(target, text);
  }

  private openCapture(frame: Frame, done: (text: string) => void): boolean {
    if (this.capturesTooDeep()) return true;
    const target = new TextBuffer();
    this.targets.push(target);
    frame.onClose = () => {
      this.popTarget(target);
      done(joinParts(target.parts));
    };
    return true;
  }

  private closeImplicitParagraph(): void {
    const top = this.targets.top();
    if (top !== undefined && top.implicitBelow !== -1) this.finishTarget(top);
  }

  private finishTarget(target: Target): void {
    this.popTarget(target);
  }

  /** Removes a target and anything left above it (a loose paragraph inside a closing element). */
  private popTarget(target: Target): void {
    const at = target.at;
    if (at === -1 || this.targets.at(at) !== target) return;
    while (this.targets.length > at) this.targets.pop();
  }

  // ---- skipped subtrees ----------------------------------------------------------------------

  private startSkip(kind: SkipState['kind'], name: string): false {
    this.skip = { depth: 1, kind, name, sniffed: {} };
    return false;
  }

  private sniffOpen(name: string, attrs: Readonly<Record<string, string>>): void {
    const skip = this.skip!;
    if (name === 'ac:adf-attribute' && attrs.key) skip.sniffKey = attrs.key;
    else if (name === 'ac:adf-node' && attrs.type && !skip.sniffed.type) skip.sniffed.type = attrs.type;
  }

  private endSkip(): void {
    const skip = this.skip!;
    this.skip = undefined;
    if (skip.kind === 'silent') return;
    if (skip.kind === 'macro') {
      this.doc.warn('skipped_macro', skip.name, (n) =>
        `Skipped the macro '${skip.name}'${n > 1 ? ` (${n} times)` : ''}: it is not known to Spec2Tickets, so its content was not used as page text.`,
      );
      return;
    }
    const s = skip.sniffed;
    const key = (s['extension-key'] ?? '').trim();
    const label = (s['extension-title'] ?? '').trim() || key.split('/').pop() || s.type || skip.name;
    const forge = /forge/i.test(skip.name) || /forge|com\.atlassian\.ecosystem/i.test(`${s['extension-type'] ?? ''} ${key}`);
    this.doc.warn('skipped_extension', label, (n) =>
      `Skipped the ${forge ? 'Forge app' : 'app'} extension '${label}'${n > 1 ? ` (${n} times)` : ''}: app content is not page text.`,
    );
  }
}
