/**
 * The enum-like object `{ A: 'A', B: 'B' }` of a list of string values, in the list's order: what
 * `registerEnumType` takes for a GraphQL enum, so that the GraphQL enum, the OpenAPI `enum` and the
 * validators are all built from the one list a core defines.
 */
export function enumObjectOf<const T extends string>(values: readonly T[]): { readonly [K in T]: K } {
  return Object.fromEntries(values.map((value) => [value, value])) as { readonly [K in T]: K };
}
