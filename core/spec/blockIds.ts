// Content-derived ids for blocks and sections. An id depends only on the thing's own normalised
// content (a table row's own cells, not its column headers), so inserting, editing or deleting
// something elsewhere on the page never changes it. Identical twins are keyed by their heading path as
// well (see DocumentBuilder.finish), and a numeric suffix in document order only separates twins that
// share a section. The one edit elsewhere that does change an id: adding or removing an exact twin of a
// block, which moves it between the content-only and the heading-path key.

/** Character codes of the 16 lower-case hex digits. */
const HEX_CODE = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

const FNV_OFFSET = 0x811c9dc5;
const DASH = 0x2d;

/** FNV-1a state after `text` (UTF-16 code units), continuing from `h`: hashes a key built of parts without building it. */
export function hashMore(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** hashMore for one code unit. */
export function hashUnit(h: number, unit: number): number {
  return Math.imul(h ^ unit, 0x01000193);
}

/** The start state of a hash. */
export const hashStart = (): number => FNV_OFFSET;

/** The hash as 8 hex digits after the two characters `p0` and `p1` (or none, when p0 is -1), made as one string. */
function hexAfter(p0: number, p1: number, h: number): string {
  const c = HEX_CODE;
  const d0 = c[h >>> 28]!, d1 = c[(h >>> 24) & 15]!, d2 = c[(h >>> 20) & 15]!, d3 = c[(h >>> 16) & 15]!;
  const d4 = c[(h >>> 12) & 15]!, d5 = c[(h >>> 8) & 15]!, d6 = c[(h >>> 4) & 15]!, d7 = c[h & 15]!;
  return p0 === -1 ? String.fromCharCode(d0, d1, d2, d3, d4, d5, d6, d7) : String.fromCharCode(p0, p1, d0, d1, d2, d3, d4, d5, d6, d7);
}

/** Per length, an array of character codes reused for every twin id of that length (no array per id). */
const twinCodes: number[][] = [];

/** `p-hhhhhhhh-n`, the id of the n-th block with hash `h`, made as one string (a page may have 100,000 twins). */
function twinId(p0: number, h: number, n: number): string {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  const length = 11 + digits;
  const codes = (twinCodes[length] ??= new Array<number>(length).fill(0));
  codes[0] = p0;
  codes[1] = DASH;
  for (let i = 0; i < 8; i++) codes[2 + i] = HEX_CODE[(h >>> (28 - 4 * i)) & 15]!;
  codes[10] = DASH;
  for (let i = length - 1, rest = n; i > 10; i--, rest = Math.floor(rest / 10)) codes[i] = 0x30 + (rest % 10);
  return String.fromCharCode.apply(null, codes);
}

/** 32-bit FNV-1a over UTF-16 code units, as 8 hex digits. Fast, stable across runs and platforms. */
export function shortHash(text: string): string {
  return hexAfter(-1, -1, hashMore(FNV_OFFSET, text) >>> 0);
}

/** Hands out `prefix-hash` ids, adding `-2`, `-3`, … to later duplicates of the same key. */
export class IdAllocator {
  /**
   * How many ids each hash has been given (keyed by the hash: the same key always has the same hash),
   * keyed by its signed 32-bit form, which V8 keeps as a small integer (an unsigned hash of 2^31 or more
   * would be a heap number allocated per lookup).
   */
  private readonly seen = new Map<number, number>();
  private readonly p0: number;

  /** `prefix`: one character ("b" for blocks, "s" for sections). */
  constructor(prefix: string) {
    if (prefix.length !== 1) throw new RangeError(`An id prefix is one character, not '${prefix}'.`);
    this.p0 = prefix.charCodeAt(0);
  }

  next(key: string): string {
    return this.nextForHash(hashMore(FNV_OFFSET, key));
  }

  /** next() for a key already hashed (hashStart/hashMore over the key's text). */
  nextForHash(hash: number): string {
    const key = hash | 0;
    const n = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, n);
    const h = hash >>> 0;
    return n === 1 ? hexAfter(this.p0, DASH, h) : twinId(this.p0, h, n);
  }
}
