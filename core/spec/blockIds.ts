// Content-derived ids for blocks and sections. An id depends only on the thing's own normalised
// content (a table row's own cells, not its column headers), so inserting, editing or deleting
// something elsewhere on the page never changes it. Identical twins are keyed by their heading path as
// well (see DocumentBuilder.finish), and a numeric suffix in document order only separates twins that
// share a section. The one edit elsewhere that does change an id: adding or removing an exact twin of a
// block, which moves it between the content-only and the heading-path key.

/** Two lower-case hex digits for each byte value. */
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 32-bit FNV-1a over UTF-16 code units, as 8 hex digits. Fast, stable across runs and platforms. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return HEX_BYTE[(h >>> 24) & 255]! + HEX_BYTE[(h >>> 16) & 255]! + HEX_BYTE[(h >>> 8) & 255]! + HEX_BYTE[h & 255]!;
}

/** Hands out `prefix-hash` ids, adding `-2`, `-3`, … to later duplicates of the same key. */
export class IdAllocator {
  private readonly seen = new Map<string, number>();
  private readonly dash: string;

  constructor(prefix: string) {
    this.dash = `${prefix}-`;
  }

  next(key: string): string {
    const base = this.dash + shortHash(key);
    const n = (this.seen.get(base) ?? 0) + 1;
    this.seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  }
}
