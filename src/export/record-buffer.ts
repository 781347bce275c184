/**
 * A bounded FIFO with stable positions: every item has an absolute index
 * (how many items were pushed before it). A batch is read without removing
 * it and committed by its end index once sent, so items dropped while the
 * batch was in flight (the buffer overflowed) are never dropped twice, and a
 * failed batch stays at the front for the retry. All operations are O(1)
 * except peek and commit, which are O(batch).
 */
export class RecordBuffer<T> {
  private readonly slots: (T | undefined)[];
  /** Absolute index of the oldest item. */
  private head = 0;
  /** Absolute index one past the newest item. */
  private tail = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.slots = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.tail - this.head;
  }

  /** Absolute index of the oldest item (equals `end` when empty). */
  get start(): number {
    return this.head;
  }

  get end(): number {
    return this.tail;
  }

  /** Appends; when full, the oldest item makes room. Returns true when an item was dropped. */
  push(item: T): boolean {
    let dropped = false;
    if (this.tail - this.head === this.capacity) {
      this.slots[this.head % this.capacity] = undefined;
      this.head++;
      dropped = true;
    }
    this.slots[this.tail % this.capacity] = item;
    this.tail++;
    return dropped;
  }

  /** Up to `max` oldest items, without removing them, and the index to commit them with. */
  peek(max: number): { items: T[]; end: number } {
    const n = Math.min(max, this.size);
    const items = new Array<T>(n);
    for (let i = 0; i < n; i++) items[i] = this.slots[(this.head + i) % this.capacity] as T;
    return { items, end: this.head + n };
  }

  /** Removes every item before absolute index `end` that is still here. */
  commit(end: number): void {
    const upTo = Math.min(end, this.tail);
    for (; this.head < upTo; this.head++) this.slots[this.head % this.capacity] = undefined;
  }

  /** Removes everything; returns how many items there were. */
  clear(): number {
    const n = this.size;
    this.commit(this.tail);
    return n;
  }
}
