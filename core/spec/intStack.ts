// A stack of 32-bit integers in one typed array that doubles when full. The parser keeps one entry
// per open element or list, and a hostile page keeps 100,000 open: numbers in a typed array are
// nothing for the garbage collector to copy or trace, where an array of them grows on the heap.

export class IntStack {
  private items: Int32Array;
  length = 0;

  constructor(capacity = 64) {
    this.items = new Int32Array(capacity);
  }

  push(value: number): void {
    if (this.length === this.items.length) {
      const grown = new Int32Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[this.length++] = value;
  }

  /** Removes the top entry and returns it; -1 when the stack is empty. */
  pop(): number {
    return this.length === 0 ? -1 : this.items[--this.length]!;
  }

  /** The entry at `index` (0 is the bottom). */
  get(index: number): number {
    return this.items[index]!;
  }

  /** The top entry; -1 when the stack is empty. */
  top(): number {
    return this.length === 0 ? -1 : this.items[this.length - 1]!;
  }
}
