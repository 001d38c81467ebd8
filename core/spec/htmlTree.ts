// Turns htmlparser2's tokens into open/close/text events with HTML's tree rules (end tags authors may
// omit, void elements, a stray </p> or </br>, SVG and MathML name casing) in time linear in the page,
// however deep it nests. htmlparser2's own Parser keeps its open elements newest-first and inserts at
// the front of an array on every opening tag, so a page nested 100,000 deep costs it minutes; here
// the open elements are a newest-last stack with a count per name, so every step is amortised O(1):
// an end tag looks for its element only when one is open, and each element it passes is closed.

import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import { IntStack } from './intStack.ts';

export interface HtmlTreeHandler {
  /** `attrs` is read-only: elements without attributes all share one empty object. */
  onopentag(name: string, attrs: Readonly<Record<string, string>>): void;
  onclosetag(name: string, isImplied: boolean): void;
  ontext(text: string): void;
}

const FORM_CONTROLS = ['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea'];
const HEADINGS_AND_P = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p'];
// An opening tag closes these open elements first (while one of them is the current element).
const CLOSED_BY_OPENING: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  ([
  ['tr', ['tr', 'th', 'td']],
  ['th', ['th']],
  ['td', ['thead', 'th', 'td']],
  ['body', ['head', 'link', 'script']],
  ['a', ['a']],
  ['li', ['li']],
  ['p', ['p']],
  ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h): [string, string[]] => [h, HEADINGS_AND_P]),
  ...['select', 'input', 'output', 'button', 'datalist', 'textarea'].map((t): [string, string[]] => [t, FORM_CONTROLS]),
  ['option', ['option']],
  ['optgroup', ['optgroup', 'option']],
  ['dd', ['dd', 'dt']],
  ['dt', ['dd', 'dt']],
  ...[
    'address', 'article', 'aside', 'blockquote', 'details', 'div', 'dl', 'fieldset', 'figcaption', 'figure', 'footer',
    'form', 'header', 'hr', 'main', 'nav', 'ol', 'pre', 'section', 'table', 'ul',
  ].map((t): [string, string[]] => [t, ['p']]),
  ['rt', ['rt', 'rp']],
  ['rp', ['rt', 'rp']],
  ['tbody', ['thead', 'tbody']],
  ['tfoot', ['thead', 'tbody']],
  ] satisfies [string, string[]][]).map(([k, v]): [string, ReadonlySet<string>] => [k, new Set(v)]),
);

const VOID = new Set([
  'area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'img', 'input', 'isindex', 'keygen',
  'link', 'meta', 'param', 'source', 'track', 'wbr',
]);

/**
 * The attributes of every element that has none (most of them): one shared empty object instead of
 * one per element, which a 100,000-element page would otherwise make and throw away.
 */
const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);

const Foreign = { None: 0, Svg: 1, MathML: 2 } as const;
type Foreign = (typeof Foreign)[keyof typeof Foreign];
// Elements inside SVG/MathML whose content is HTML again (SVG-adjusted casing).
const INTEGRATION_POINTS = new Set(['mi', 'mo', 'mn', 'ms', 'mtext', 'annotation-xml', 'foreignObject', 'desc', 'title']);
const SVG_CASING = new Map(
  [
    'altGlyph', 'altGlyphDef', 'altGlyphItem', 'animateColor', 'animateMotion', 'animateTransform', 'clipPath', 'feBlend',
    'feColorMatrix', 'feComponentTransfer', 'feComposite', 'feConvolveMatrix', 'feDiffuseLighting', 'feDisplacementMap',
    'feDistantLight', 'feDropShadow', 'feFlood', 'feFuncA', 'feFuncB', 'feFuncG', 'feFuncR', 'feGaussianBlur', 'feImage',
    'feMerge', 'feMergeNode', 'feMorphology', 'feOffset', 'fePointLight', 'feSpecularLighting', 'feSpotLight', 'feTile',
    'feTurbulence', 'foreignObject', 'glyphRef', 'linearGradient', 'radialGradient', 'textPath',
  ].map((n) => [n.toLowerCase(), n]),
);

/**
 * The element names pages use, as the one string each (a literal: V8 keeps one copy, compares it by
 * address and knows its hash). A tag name read from the page is swapped for its entry here, so the
 * handler gets the one string for every element of that name and compares it cheaply.
 */
const COMMON_NAMES: ReadonlyMap<string, string> = new Map(
  [
    'a', 'abbr', 'b', 'blockquote', 'body', 'br', 'caption', 'cite', 'code', 'col', 'colgroup', 'dd', 'del', 'details', 'div',
    'dl', 'dt', 'em', 'figcaption', 'figure', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'head', 'hr', 'html', 'i', 'img', 'ins', 'kbd',
    'li', 'mark', 'ol', 'p', 'pre', 'q', 's', 'samp', 'section', 'small', 'span', 'strike', 'strong', 'sub', 'summary', 'sup',
    'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'time', 'tr', 'u', 'ul', 'var', 'article', 'aside', 'header', 'footer', 'nav',
    'ac:structured-macro', 'ac:macro', 'ac:parameter', 'ac:rich-text-body', 'ac:plain-text-body', 'ac:link', 'ac:plain-text-link-body',
    'ac:link-body', 'ac:image', 'ac:caption', 'ac:emoticon', 'ac:task-list', 'ac:task', 'ac:task-id', 'ac:task-uuid', 'ac:task-status',
    'ac:task-body', 'ac:task-assignee', 'ac:layout', 'ac:layout-section', 'ac:layout-cell', 'ac:placeholder', 'ac:inline-comment-marker',
    'ac:adf-extension', 'ac:adf-node', 'ac:adf-attribute', 'ac:adf-content', 'ac:adf-fallback', 'ac:adf-mark', 'ri:page', 'ri:blog-post',
    'ri:user', 'ri:attachment', 'ri:space', 'ri:url', 'ri:content-entity', 'ri:shortcut',
  ].map((n) => [n, n]),
);

/** Slots of the recent-name cache (a power of two; a page uses a few dozen names). */
const RECENT_NAMES = 256;

/** Reads a whole page (one string) and reports its elements and text to `handler`. */
export function parseHtmlTree(source: string, handler: HtmlTreeHandler): void {
  const builder = new TreeBuilder(source, handler);
  const tokenizer = new Tokenizer({ xmlMode: false, decodeEntities: true, recognizeSelfClosing: true }, builder);
  tokenizer.write(source);
  tokenizer.end();
}

/**
 * One element name as this page uses it: the tree rules that apply to it, worked out once, and how
 * many elements of that name are open (an end tag with none open costs nothing).
 */
class ElementName {
  open = 0;
  /** Its place in the page's list of names (the open-element stack holds these numbers). */
  readonly id: number;
  readonly closes: ReadonlySet<string> | undefined;
  readonly isVoid: boolean;
  /** The foreign context an element of this name opens, if any. */
  readonly opensContext: Foreign | undefined;

  constructor(
    readonly name: string,
    list: ElementName[],
  ) {
    this.id = list.length;
    list.push(this);
    this.closes = CLOSED_BY_OPENING.get(name);
    this.isVoid = VOID.has(name);
    this.opensContext = name === 'svg' ? Foreign.Svg : name === 'math' ? Foreign.MathML : INTEGRATION_POINTS.has(name) ? Foreign.None : undefined;
  }
}

class TreeBuilder implements TokenizerCallbacks {
  /** Open elements, innermost last, by id (see `byId`). */
  private readonly open = new IntStack();
  /** Every element name of the page, by its id. */
  private readonly byId: ElementName[] = [];
  /** Every element name of the page, by name (one string each: see COMMON_NAMES). */
  private readonly names = new Map<string, ElementName>();
  /** The element each tag name means outside SVG and MathML, by the name as the page writes it. */
  private readonly htmlNames = new Map<string, ElementName>();
  /** A cache in front of htmlNames, by a hash of the name's characters: the name as written, and its element. */
  private readonly recentRaw: (string | undefined)[] = new Array(RECENT_NAMES).fill(undefined);
  private readonly recentElement: (ElementName | undefined)[] = new Array(RECENT_NAMES).fill(undefined);
  private readonly foreign: Foreign[] = [Foreign.None];
  private tagName: ElementName | undefined;
  /** The opening tag's attributes so far; null while a tag is being ignored (a second <form>). */
  private attrs: Readonly<Record<string, string>> | null = null;
  private attrName = '';
  private attrValue = '';

  constructor(
    private readonly source: string,
    private readonly handler: HtmlTreeHandler,
  ) {}

  ontext(start: number, end: number): void {
    this.handler.ontext(this.source.slice(start, end));
  }

  ontextentity(codepoint: number): void {
    this.handler.ontext(String.fromCodePoint(codepoint));
  }

  isInForeignContext(): boolean {
    return this.foreign[this.foreign.length - 1] !== Foreign.None;
  }

  onopentagname(start: number, end: number): void {
    this.openElement(this.tagNameAt(start, end));
  }

  onattribname(start: number, end: number): void {
    this.attrName = this.source.slice(start, end).toLowerCase();
  }

  onattribdata(start: number, end: number): void {
    this.attrValue += this.source.slice(start, end);
  }

  onattribentity(codepoint: number): void {
    this.attrValue += String.fromCodePoint(codepoint);
  }

  onattribend(): void {
    if (this.attrs && !Object.hasOwn(this.attrs, this.attrName)) {
      const attrs = this.attrs === NO_ATTRIBUTES ? (Object.create(null) as Record<string, string>) : (this.attrs as Record<string, string>);
      attrs[this.attrName] = this.attrValue;
      this.attrs = attrs;
    }
    this.attrValue = '';
  }

  onopentagend(): void {
    this.endOpenTag();
  }

  onselfclosingtag(): void {
    const element = this.tagName;
    this.endOpenTag();
    if (element !== undefined && this.top() === element) this.popElement(true);
  }

  onclosetag(start: number, end: number): void {
    const element = this.tagNameAt(start, end);
    if (element.isVoid) {
      if (element.name === 'br') {
        this.handler.onopentag('br', NO_ATTRIBUTES);
        this.handler.onclosetag('br', false);
      }
      return;
    }
    if (element.open > 0) {
      while (this.top() !== element) this.popElement(true);
      this.popElement(false);
    } else if (element.name === 'p') {
      // A stray </p> stands for an empty paragraph.
      this.openElement(element);
      this.endOpenTag();
      if (this.top() === element) this.popElement(false);
    }
  }

  oncdata(start: number, end: number, offset: number): void {
    this.handler.ontext(this.source.slice(start, end - offset));
  }

  oncomment(): void {}
  ondeclaration(): void {}
  onprocessinginstruction(): void {}

  onend(): void {
    while (this.open.length > 0) this.popElement(true);
  }

  // ---- internals -----------------------------------------------------------------------------

  private top(): ElementName | undefined {
    const id = this.open.top();
    return id === -1 ? undefined : this.byId[id];
  }

  private element(name: string): ElementName {
    let element = this.names.get(name);
    if (element === undefined) {
      element = new ElementName(COMMON_NAMES.get(name) ?? name, this.byId);
      this.names.set(name, element);
    }
    return element;
  }

  private isOpen(name: string): boolean {
    return (this.names.get(name)?.open ?? 0) > 0;
  }

  private tagNameAt(start: number, end: number): ElementName {
    // Outside SVG and MathML (nearly every page) a name is read as written before: no lower-casing,
    // and a name seen recently is found by its characters in the page, without a string of its own.
    const outside = this.foreign.length === 1;
    let slot = -1;
    if (outside) {
      const source = this.source;
      let h = end - start;
      for (let i = start; i < end; i++) h = Math.imul(h ^ source.charCodeAt(i), 0x01000193);
      slot = (h ^ (h >>> 15)) & (RECENT_NAMES - 1);
      const known = this.recentRaw[slot];
      if (known !== undefined && known.length === end - start && source.startsWith(known, start)) return this.recentElement[slot]!;
    }
    const raw = this.source.slice(start, end);
    let element = outside ? this.htmlNames.get(raw) : undefined;
    if (element === undefined) {
      element = this.elementNamed(raw.toLowerCase());
      if (outside) this.htmlNames.set(raw, element);
    }
    if (slot !== -1) {
      this.recentRaw[slot] = raw;
      this.recentElement[slot] = element;
    }
    return element;
  }

  private elementNamed(name: string): ElementName {
    const context = this.foreign[this.foreign.length - 1];
    if (context === Foreign.Svg) return this.element(SVG_CASING.get(name) ?? name);
    if (this.foreign.length > 1) {
      // </foreignObject> from inside its own HTML content.
      const adjusted = SVG_CASING.get(name);
      if (adjusted !== undefined && this.isOpen(adjusted)) return this.element(adjusted);
    }
    if (context === Foreign.None) return this.element(name === 'image' ? 'img' : name);
    return this.element(name);
  }

  private openElement(element: ElementName): void {
    this.tagName = element;
    // A second <form> while one is open is ignored, attributes and all.
    if (element.name === 'form' && element.open > 0) {
      this.tagName = undefined;
      this.attrs = null;
      return;
    }
    const closes = element.closes;
    if (closes) {
      while (this.open.length > 0 && closes.has(this.top()!.name)) this.popElement(true);
    }
    if (!element.isVoid) {
      this.open.push(element.id);
      element.open++;
      if (element.opensContext !== undefined) this.foreign.push(element.opensContext);
    }
    this.attrs = NO_ATTRIBUTES;
  }

  private endOpenTag(): void {
    const element = this.tagName;
    if (element === undefined) return;
    if (this.attrs) {
      const attrs = this.attrs;
      this.attrs = null;
      this.handler.onopentag(element.name, attrs);
    }
    if (element.isVoid) this.handler.onclosetag(element.name, true);
    this.tagName = undefined;
  }

  private popElement(implied: boolean): void {
    const element = this.byId[this.open.pop()]!;
    element.open--;
    if (element.opensContext !== undefined) this.foreign.pop();
    this.handler.onclosetag(element.name, implied);
  }
}
