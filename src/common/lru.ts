/**
 * A size-bounded map that evicts entries not used lately first ("second chance", the CLOCK algorithm):
 * a read only sets a flag, where a strict LRU would delete and re-insert the entry on every hit — a
 * cost the hot path of cached lookups paid twice per request. When full, the oldest entry goes unless
 * it was used since it last came round; then it is moved to the back with its flag cleared.
 */
interface Slot<V> {
  value: V;
  used: boolean;
}

export class LruMap<K, V> {
  private readonly map = new Map<K, Slot<V>>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) return undefined;
    slot.used = true;
    return slot.value;
  }

  set(key: K, value: V): void {
    const slot = this.map.get(key);
    if (slot !== undefined) {
      slot.value = value;
      slot.used = true;
      return;
    }
    this.makeRoom();
    this.map.set(key, { value, used: false });
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.cursor = undefined;
  }

  /**
   * Looks at the next `steps` entries of a walk over the whole map that resumes where the last call stopped
   * (and starts again at the end), and deletes those `expired` says are. Called on every insert with a small
   * `steps`, it bounds how long an expired entry can outlive its expiry by the rate of inserts, at O(1) a call,
   * instead of keeping every expired entry until the size bound pushes it out. (Map iterators stay valid
   * across deletes and inserts.)
   */
  sweep(expired: (value: V) => boolean, steps: number): void {
    for (let i = 0; i < steps; i++) {
      this.cursor ??= this.map.entries();
      const next = this.cursor.next();
      if (next.done) {
        this.cursor = undefined;
        return;
      }
      const [key, slot] = next.value;
      if (expired(slot.value)) this.map.delete(key);
    }
  }

  private cursor: MapIterator<[K, Slot<V>]> | undefined;

  /** Evicts until one more entry fits; each pass clears a flag or evicts, so it ends within two rounds. */
  private makeRoom(): void {
    while (this.map.size >= Math.max(1, this.maxEntries)) {
      const oldest = this.map.entries().next();
      if (oldest.done) return;
      const [key, slot] = oldest.value;
      this.map.delete(key);
      if (slot.used) {
        slot.used = false;
        this.map.set(key, slot);
      }
    }
  }
}
