// @ts-check
/**
 * registry-mirror — rewrites images to a mirror (pull-through cache), keeping the repository path,
 * the tag and the digest: with `docker.io: mirror.example.com/dockerhub`, `nginx:1.25` becomes
 * `mirror.example.com/dockerhub/library/nginx:1.25` and `ghcr.io/org/app@sha256:…` stays as it is.
 *
 * Options:
 *   mirrors:                            # required: source → mirror, both host[:port][/path]
 *     docker.io: mirror.example.com/dockerhub
 *     ghcr.io/my-org: registry.internal:5000/ghcr/my-org
 *   namespaces / excludeNamespaces / selector: where the rewrite applies (default everywhere)
 *
 * A source matches by exact host and whole path segments (the most specific source wins); the part of
 * the path below the source prefix is appended to the mirror's path. Digests are content addresses,
 * so a pinned image stays pinned to the same content.
 */
import { parseRegistryPattern, RegistryMatcher } from './_lib/registries.js';
import { compileScope, isOptionsObject, SCOPE_KEYS, scopeProblems, unknownKeyProblems } from './_lib/scope.js';

/**
 * @typedef {import('./_lib/scope.js').ScopeOptions & { mirrors: Record<string, string> }} Options
 * @typedef {import('../packages/plugin-api/index.js').PluginContext<Options>} Context
 * @typedef {import('./_lib/registries.js').RegistryPattern & { target: import('./_lib/registries.js').RegistryPattern }} MirrorPattern
 * @typedef {{ matcher: RegistryMatcher<MirrorPattern>, inScope: ReturnType<typeof compileScope> }} State
 */

/** @type {WeakMap<object, State>} */
const states = new WeakMap();

/**
 * @param {string} text
 */
function parse(text) {
  const parsed = parseRegistryPattern(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.pattern;
}

/** @param {Context} ctx */
function stateOf(ctx) {
  let state = states.get(ctx.options);
  if (state === undefined) {
    const options = ctx.options;
    const patterns = Object.entries(options.mirrors).map(([source, target]) => ({ ...parse(source), target: parse(target) }));
    state = { matcher: new RegistryMatcher(patterns), inScope: compileScope(options) };
    states.set(options, state);
  }
  return state;
}

/** @type {import('../packages/plugin-api/index.js').Plugin<Options>} */
export default {
  name: 'registry-mirror',
  version: '1.0.0',
  apiVersion: '1.0',
  description: 'Rewrites images from Docker Hub or any registry to a mirror, keeping path, tag and digest',

  validateOptions(options) {
    if (!isOptionsObject(options)) return 'options must be a mapping';
    const problems = [...unknownKeyProblems(options, ['mirrors', ...SCOPE_KEYS]), ...scopeProblems(options)];
    const mirrors = options.mirrors;
    if (!isOptionsObject(mirrors) || Object.keys(mirrors).length === 0) {
      problems.push('mirrors is required: a mapping of source registry (host[:port][/path]) to mirror (host[:port][/path])');
      return problems;
    }
    /** @type {Map<string, string>} */
    const seen = new Map();
    for (const [source, target] of Object.entries(mirrors)) {
      const from = parseRegistryPattern(source);
      const to = parseRegistryPattern(target);
      if (!from.ok) problems.push(`mirrors key ${from.error}`);
      if (!to.ok) problems.push(`mirrors["${source}"] ${to.error}`);
      if (!from.ok || !to.ok) continue;
      const key = [from.pattern.host, ...from.pattern.path].join('/');
      if (seen.has(key)) problems.push(`mirrors has "${seen.get(key)}" and "${source}", which name the same source`);
      seen.set(key, source);
      if (key === [to.pattern.host, ...to.pattern.path].join('/')) problems.push(`mirrors["${source}"] points at itself`);
    }
    return problems;
  },

  setup(_options, ctx) {
    stateOf(ctx);
  },

  evaluate(input, ctx) {
    const state = stateOf(ctx);
    const { image } = input;
    const source = state.matcher.match(image);
    if (source === null || !state.inScope(input.context)) return { verdict: 'allow' };
    const rest = image.path.split('/').slice(source.path.length);
    const path = [...source.target.path, ...rest];
    if (path.length === 0) return { verdict: 'warn', message: `cannot mirror "${image.input}": the mirror ${source.target.text} names no repository` };
    const mirrored = `${source.target.host}/${path.join('/')}${image.tag === null ? '' : `:${image.tag}`}${image.digest === null ? '' : `@${image.digest}`}`;
    return { verdict: 'allow', message: `rewritten to the mirror: ${mirrored}`, mutate: { image: mirrored } };
  },
};
