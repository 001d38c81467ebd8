// Content-derived ids for blocks and sections. An id depends only on the thing's own normalised
// content (a table row's own cells, not its column headers), so inserting, editing or deleting
// something elsewhere on the page never changes it. Identical twins are keyed by their heading path as
// well (see DocumentBuilder.finish), and a numeric suffix in document order only separates twins that
// share a section. The one edit elsewhere that does change an id: adding or removing an exact twin of a
// block, which moves it between the content-only and the heading-path key.

/** Two lower-case hex digits for each byte value. */
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

const FNV_OFFSET = 0x811c9dc5;

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

function hex(h: number): string {
  return HEX_BYTE[(h >>> 24) & 255]! + HEX_BYTE[(h >>> 16) & 255]! + HEX_BYTE[(h >>> 8) & 255]! + HEX_BYTE[h & 255]!;
}

/** 32-bit FNV-1a over UTF-16 code units, as 8 hex digits. Fast, stable across runs and platforms. */
export function shortHash(text: string): string {
  return hex(hashMore(FNV_OFFSET, text));
}

/** Hands out `prefix-hash` ids, adding `-2`, `-3`, … to later duplicates of the same key. */
export class IdAllocator {
  /** How many ids each hash has been given (keyed by the hash: the same key always has the same hash). */
  private readonly seen = new Map<number, number>();
  private readonly dash: string;

  constructor(prefix: string) {
    this.dash = `${prefix}-`;
  }

  next(key: string): string {
    return this.nextForHash(hashMore(FNV_OFFSET, key));
  }

  /** next() for a key already hashed (hashStart/hashMore over the key's text). */
  nextForHash(hash: number): string {
    const h = hash >>> 0;
    const n = (this.seen.get(h) ?? 0) + 1;
    this.seen.set(h, n);
    const base = this.dash + hex(h);
    return n === 1 ? base : `${base}-${n}`;
  }
}
