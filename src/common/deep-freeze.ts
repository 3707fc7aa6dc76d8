/**
 * Freezes `value` and every object reachable from it, in place, and returns it. An object already frozen
 * is taken as frozen all the way down (its children are not visited), which also ends cycles.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value as object)) deepFreeze(item);
  }
  return value;
}
