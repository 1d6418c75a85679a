/**
 * One request's physical block ids in logical order (block i holds positions
 * [i * blockSize, (i + 1) * blockSize)). Backed by a growable Int32Array so the forward pass gets
 * an Int32Array view without a copy per step.
 */
export class BlockTable {
  private ids: Int32Array;
  private numIds = 0;

  constructor(initialCapacity = 8) {
    this.ids = new Int32Array(Math.max(1, initialCapacity));
  }

  get length(): number {
    return this.numIds;
  }

  at(index: number): number {
    if (index < 0 || index >= this.numIds) throw new RangeError(`block index ${index} out of range [0, ${this.numIds})`);
    return this.ids[index]!;
  }

  push(blockId: number): void {
    if (this.numIds === this.ids.length) {
      const grown = new Int32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.numIds++] = blockId;
  }

  /** The ids as a view, valid until the next `push` (which may move the storage). Do not write to it. */
  view(): Int32Array {
    return this.ids.subarray(0, this.numIds);
  }
}
