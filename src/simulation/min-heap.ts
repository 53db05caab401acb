/** A binary min-heap by time; entries with equal times come out in the order they went in. */
export class MinHeap<T> {
  private readonly entries: { at: number; seq: number; value: T }[] = [];
  private seq = 0;

  get size(): number {
    return this.entries.length;
  }

  peekTime(): number {
    return this.entries.length > 0 ? this.entries[0].at : Infinity;
  }

  push(at: number, value: T): void {
    const entries = this.entries;
    entries.push({ at, seq: this.seq++, value });
    let i = entries.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      [entries[i], entries[parent]] = [entries[parent], entries[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const entries = this.entries;
    if (entries.length === 0) return undefined;
    const top = entries[0];
    const last = entries.pop()!;
    if (entries.length > 0) {
      entries[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < entries.length && this.before(left, smallest)) smallest = left;
        if (right < entries.length && this.before(right, smallest)) smallest = right;
        if (smallest === i) break;
        [entries[i], entries[smallest]] = [entries[smallest], entries[i]];
        i = smallest;
      }
    }
    return top.value;
  }

  private before(a: number, b: number): boolean {
    const x = this.entries[a];
    const y = this.entries[b];
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
}
