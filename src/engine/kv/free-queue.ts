/** Marks "no neighbour" in the links and "empty" for head/tail. */
const NONE = -1;

/**
 * The queue of blocks with refcount 0, as an intrusive doubly linked list over block ids
 * (two Int32Arrays), so removing a block from the middle — a prefix-cache hit reviving an
 * evictable block — is O(1) and nothing is allocated per operation. Allocation pops the head.
 * Which end a block is pushed to is the caller's policy (see BlockPool).
 */
export class FreeBlockQueue {
  private readonly prevIds: Int32Array;
  private readonly nextIds: Int32Array;
  private readonly inQueue: Uint8Array;
  private headId = NONE;
  private tailId = NONE;
  private numQueued = 0;

  /** Starts holding every block, 0 first, so a fresh pool hands out ids in ascending order. */
  constructor(readonly numBlocks: number) {
    this.prevIds = new Int32Array(numBlocks).fill(NONE);
    this.nextIds = new Int32Array(numBlocks).fill(NONE);
    this.inQueue = new Uint8Array(numBlocks);
    for (let id = 0; id < numBlocks; id++) this.pushBack(id);
  }

  get length(): number {
    return this.numQueued;
  }

  has(blockId: number): boolean {
    return this.inQueue[blockId] === 1;
  }

  /** The block the next `popFront` returns, or null when empty. */
  peekFront(): number | null {
    return this.headId === NONE ? null : this.headId;
  }

  popFront(): number {
    const blockId = this.headId;
    if (blockId === NONE) throw new Error("free block queue is empty");
    this.remove(blockId);
    return blockId;
  }

  pushBack(blockId: number): void {
    this.assertAbsent(blockId);
    this.prevIds[blockId] = this.tailId;
    this.nextIds[blockId] = NONE;
    if (this.tailId === NONE) this.headId = blockId;
    else this.nextIds[this.tailId] = blockId;
    this.tailId = blockId;
    this.inQueue[blockId] = 1;
    this.numQueued++;
  }

  pushFront(blockId: number): void {
    this.assertAbsent(blockId);
    this.prevIds[blockId] = NONE;
    this.nextIds[blockId] = this.headId;
    if (this.headId === NONE) this.tailId = blockId;
    else this.prevIds[this.headId] = blockId;
    this.headId = blockId;
    this.inQueue[blockId] = 1;
    this.numQueued++;
  }

  remove(blockId: number): void {
    if (!this.has(blockId)) throw new Error(`block ${blockId} is not in the free queue`);
    const prevId = this.prevIds[blockId]!;
    const nextId = this.nextIds[blockId]!;
    if (prevId === NONE) this.headId = nextId;
    else this.nextIds[prevId] = nextId;
    if (nextId === NONE) this.tailId = prevId;
    else this.prevIds[nextId] = prevId;
    this.prevIds[blockId] = NONE;
    this.nextIds[blockId] = NONE;
    this.inQueue[blockId] = 0;
    this.numQueued--;
  }

  /** Block ids head to tail (the order they would be handed out). For tests and debugging. */
  toArray(): number[] {
    const ids: number[] = [];
    for (let id = this.headId; id !== NONE && ids.length <= this.numBlocks; id = this.nextIds[id]!) ids.push(id);
    return ids;
  }

  /** Link-structure violations (empty when sound): walks both directions and checks the flags. */
  checkInvariants(): string[] {
    const problems: string[] = [];
    const forward = this.toArray();
    if (forward.length !== this.numQueued) problems.push(`free queue walks ${forward.length} blocks, counts ${this.numQueued}`);
    if (new Set(forward).size !== forward.length) problems.push("free queue holds a block twice");
    const backward: number[] = [];
    for (let id = this.tailId; id !== NONE && backward.length <= this.numBlocks; id = this.prevIds[id]!) backward.push(id);
    if (backward.reverse().join() !== forward.join()) problems.push("free queue links disagree forwards and backwards");
    let numFlagged = 0;
    for (let id = 0; id < this.numBlocks; id++) numFlagged += this.inQueue[id]!;
    if (numFlagged !== this.numQueued) problems.push(`free queue flags ${numFlagged} blocks, counts ${this.numQueued}`);
    for (const id of forward) if (this.inQueue[id] !== 1) problems.push(`block ${id} is linked but not flagged`);
    return problems;
  }

  private assertAbsent(blockId: number): void {
    if (!Number.isInteger(blockId) || blockId < 0 || blockId >= this.numBlocks) {
      throw new RangeError(`block id ${blockId} out of range [0, ${this.numBlocks})`);
    }
    if (this.has(blockId)) throw new Error(`block ${blockId} is already in the free queue`);
  }
}
