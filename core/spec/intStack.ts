// A stack of 32-bit integers in typed-array chunks. The parser keeps one entry per open element or
// list, and a hostile page keeps 100,000 open: numbers in typed arrays are nothing for the garbage
// collector to copy or trace, and chunks mean growing never copies what is already there (a doubling
// array touches about twice the memory it ends with, and fresh memory is what such a page costs most).

const CHUNK_BITS = 14;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

export class IntStack {
  private readonly chunks: Int32Array[];
  /** The chunk the top entry is in (or the next push goes to). */
  private current: Int32Array;
  length = 0;

  /** `capacity`: the first chunk's size, for stacks that stay small (at most CHUNK). */
  constructor(capacity = 64) {
    this.current = new Int32Array(Math.min(CHUNK, Math.max(1, capacity)));
    this.chunks = [this.current];
  }

  push(value: number): void {
    const offset = this.length & MASK;
    if (offset === 0 && this.length > 0) {
      // Moving on to the next chunk (made the first time it is needed, kept when the stack shrinks).
      const next = this.length >>> CHUNK_BITS;
      this.current = this.chunks[next] ??= new Int32Array(CHUNK);
    } else if (offset === this.current.length) {
      // The first chunk started small: grow it to a full chunk.
      const grown = new Int32Array(Math.min(CHUNK, this.current.length * 4));
      grown.set(this.current);
      this.current = this.chunks[0] = grown;
    }
    this.current[offset] = value;
    this.length++;
  }

  /** Removes the top entry and returns it; -1 when the stack is empty. */
  pop(): number {
    if (this.length === 0) return -1;
    const index = --this.length;
    const value = this.current[index & MASK]!;
    if ((index & MASK) === 0 && index > 0) this.current = this.chunks[(index - 1) >>> CHUNK_BITS]!;
    return value;
  }

  /** The entry at `index` (0 is the bottom). */
  get(index: number): number {
    return this.chunks[index >>> CHUNK_BITS]![index & MASK]!;
  }

  /** The top entry; -1 when the stack is empty. */
  top(): number {
    return this.length === 0 ? -1 : this.current[(this.length - 1) & MASK]!;
  }
}

/**
 * The last element of an array, or undefined when it is empty. `array[array.length - 1]` on an empty
 * array reads the property "-1", which V8 looks up the slow way (through the prototype chain): a
 * reader asking for its innermost panel or table on every element pays that on nearly every page.
 */
export function lastOf<T>(array: readonly T[]): T | undefined {
  const n = array.length;
  return n === 0 ? undefined : array[n - 1];
}
