// A fixed-capacity ring buffer: pushing past capacity overwrites the oldest item.

export class Ring<T> {
  readonly capacity: number;
  #items: Array<T | undefined>;
  #start = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!(capacity > 0)) throw new Error('a ring needs a positive capacity');
    this.capacity = capacity;
    this.#items = new Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size < this.capacity) {
      this.#items[(this.#start + this.#size) % this.capacity] = item;
      this.#size++;
    } else {
      this.#items[this.#start] = item;
      this.#start = (this.#start + 1) % this.capacity;
    }
  }

  clear(): void {
    this.#items = new Array(this.capacity);
    this.#start = 0;
    this.#size = 0;
  }

  /** Newest first, keeping only what `keep` accepts. */
  newestFirst(keep: (item: T) => boolean = () => true): T[] {
    const out: T[] = [];
    for (let i = this.#size - 1; i >= 0; i--) {
      const item = this.#items[(this.#start + i) % this.capacity] as T;
      if (keep(item)) out.push(item);
    }
    return out;
  }
}
