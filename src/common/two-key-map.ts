/**
 * Values under two string keys (route pattern and method; outcome and source), made on first use. Hot paths
 * look up the two strings they already hold instead of building a `first|second` key string per call.
 */
export class TwoKeyMap<V> {
  private readonly outer = new Map<string, Map<string, V>>();

  constructor(private readonly make: (first: string, second: string) => V) {}

  get(first: string, second: string): V {
    let inner = this.outer.get(first);
    if (inner === undefined) this.outer.set(first, (inner = new Map()));
    let value = inner.get(second);
    if (value === undefined) inner.set(second, (value = this.make(first, second)));
    return value;
  }

  values(): V[] {
    return [...this.outer.values()].flatMap((inner) => [...inner.values()]);
  }
}
