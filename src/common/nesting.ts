/**
 * How deep a request may nest. Every value the service reads from a caller (a JSON body, the JSON or YAML
 * text of a manifest) is checked against this before anything recursive touches it: class-transformer,
 * the `yaml` package's composer and its `toJS`, the manifest walker and `JSON.stringify` all recurse, and a
 * stack overflow in V8 is not a safe failure (it can surface as a 500 or, inside a regular-expression
 * compile, abort the whole process). A Kubernetes object nests about 20 levels (a CronJob's pod template
 * affinity, with `managedFields`, inside an AdmissionReview); 128 leaves room for any of them.
 */
export const MAX_NESTING = 128;

/** The message of the `400 InvalidRequest` for a body over the limit. */
export function nestingMessage(what: string): string {
  return `${what} nests deeper than ${MAX_NESTING} levels of objects and arrays (the limit)`;
}

/**
 * Whether a parsed JSON value nests objects and arrays deeper than `limit`. Iterative (an explicit stack,
 * never recursion), linear in the number of values, and it stops at the first container past the limit.
 */
export function nestsDeeperThan(value: unknown, limit: number = MAX_NESTING): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const values: object[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const current = values.pop() as object;
    const depth = depths.pop() as number;
    if (depth > limit) return true;
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        const item: unknown = current[i];
        if (typeof item === 'object' && item !== null) {
          values.push(item);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in current) {
        const item: unknown = (current as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) {
          values.push(item);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}
