/**
 * The bundled plugins (plugins/*.js), loaded by the real loader from the repository's plugins folder with
 * a temporary config, and run by the real runner: option validation, rule tables, lookalike registries,
 * property tests, the out-of-the-box configuration, and the JSDoc types they ship with.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import ts from 'typescript';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError, ErrorCode } from '../src/common/errors.js';
import type { PluginRequestContext } from '../src/plugin-host/plugin-api.js';
import type { PluginDigestLookup } from '../src/plugin-host/plugin-digest-lookup.port.js';
import { loadPlugins, PluginLoadError } from '../src/plugin-host/plugin-loader.js';
import { type PluginRunResult, PluginRunner } from '../src/plugin-host/plugin-runner.js';
import { parseReference } from '../src/reference/parse.js';
import type { PullPolicy } from '../src/reference/parsed-reference.js';
import { BUNDLED_PLUGINS_DIR, nativeImport, removeTempPluginDirs, tempPluginDir } from './fixtures/plugins/support.js';

afterAll(removeTempPluginDirs);

const BUNDLED = ['allowed-registries', 'registry-mirror', 'disallow-latest', 'require-digest', 'always-pull'];
const DIGEST = `sha256:${'c'.repeat(64)}`;

interface Bundled {
  run(image: string, context?: PluginRequestContext, imagePullPolicy?: PullPolicy): Promise<PluginRunResult>;
}

/** Loads the bundled plugins with only `name` enabled, with these options and entry settings. */
async function bundled(name: string, options: unknown, settings: { failurePolicy?: string; digestLookup?: PluginDigestLookup } = {}): Promise<Bundled> {
  const { configFile } = tempPluginDir({});
  const entries = BUNDLED.map((plugin) =>
    plugin === name ? { name, options, ...(settings.failurePolicy ? { failurePolicy: settings.failurePolicy } : {}) } : { name: plugin, enabled: false },
  );
  writeFileSync(configFile, stringify({ plugins: entries }));
  const loaded = await loadPlugins({ dir: BUNDLED_PLUGINS_DIR, configFile, importModule: nativeImport, digestLookup: settings.digestLookup });
  expect(loaded.active.map((p) => p.name)).toEqual([name]);
  const runner = new PluginRunner(loaded.active);
  return {
    run: (image, context = { namespace: 'default' }, imagePullPolicy = 'IfNotPresent') => runner.run({ image, imagePullPolicy, context, operation: 'decision' }),
  };
}

async function optionsError(name: string, options: unknown): Promise<string> {
  try {
    await bundled(name, options);
  } catch (error) {
    if (error instanceof PluginLoadError) return error.message;
    throw error;
  }
  throw new Error('expected the options to be rejected');
}

const verdictOf = (result: PluginRunResult): string => (result.denied ? 'deny' : result.warnings.length > 0 ? 'warn' : 'allow');

describe('allowed-registries', () => {
  const registries = ['registry.io', 'ghcr.io/my-org', 'localhost:5000', 'docker.io/library', '[::1]:5000', 'index.docker.io/bitnami', 'Registry.Example.com/Team/'.toLowerCase()];

  it.each([
    // allowed: exact host, whole path segments
    ['registry.io/app:1', 'allow'],
    ['registry.io/team/app@' + DIGEST, 'allow'],
    ['REGISTRY.IO/app:1', 'allow'], // host names compare case-insensitively
    ['ghcr.io/my-org/app', 'allow'],
    ['ghcr.io/my-org/sub/app:2', 'allow'],
    ['localhost:5000/x', 'allow'],
    ['nginx', 'allow'],
    ['nginx:1.25', 'allow'],
    ['docker.io/library/nginx', 'allow'],
    ['index.docker.io/library/nginx', 'allow'],
    ['bitnami/redis:7', 'allow'],
    ['[::1]:5000/x:1', 'allow'],
    ['registry.example.com/team/app', 'allow'],
    // lookalikes: other hosts
    ['registry.io.evil.com/app', 'deny'],
    ['registry.io-x/app', 'deny'],
    ['evil-registry.io/app', 'deny'],
    ['sub.registry.io/app', 'deny'],
    ['evil.com/registry.io/app', 'deny'],
    ['registry.io:5000/app', 'deny'],
    ['registry.io:443/app', 'deny'],
    ['localhost/x', 'deny'],
    ['localhost:50000/x', 'deny'],
    ['localhost:500/x', 'deny'],
    ['[::1]:5001/x', 'deny'],
    ['ghcr.io.evil.com/my-org/app', 'deny'],
    // lookalikes: other paths
    ['ghcr.io/my-org-x/app', 'deny'],
    ['ghcr.io/my-orgx/app', 'deny'],
    ['ghcr.io/my/org/app', 'deny'],
    ['ghcr.io/other/my-org/app', 'deny'],
    ['ghcr.io/my-org', 'allow'],
    ['someuser/nginx', 'deny'],
    ['docker.io/libraryx/nginx', 'deny'],
    ['docker.io/library-x/nginx', 'deny'],
    ['registry.example.com/team-b/app', 'deny'],
    ['quay.io/library/nginx', 'deny'],
  ])('%s → %s', async (image, expected) => {
    const plugin = await bundled('allowed-registries', { registries });
    const result = await plugin.run(image);
    expect(verdictOf(result)).toBe(expected);
    if (expected === 'deny') {
      const parsed = parseReference(image);
      if (!parsed.ok) throw new Error(parsed.error);
      expect(result.denyMessages).toEqual([
        `allowed-registries: image "${image}" comes from ${parsed.reference.domain}/${parsed.reference.path}, which is not under an allowed registry (${registries.join(', ')})`,
      ]);
    }
  });

  it('applies only in the chosen namespaces, and can warn instead', async () => {
    const scoped = await bundled('allowed-registries', { registries: ['registry.io'], namespaces: ['prod'], excludeNamespaces: ['prod-debug'] });
    expect(verdictOf(await scoped.run('evil.io/x', { namespace: 'prod' }))).toBe('deny');
    expect(verdictOf(await scoped.run('evil.io/x', { namespace: 'dev' }))).toBe('allow');
    expect(verdictOf(await scoped.run('evil.io/x', {}))).toBe('allow');
    const warning = await bundled('allowed-registries', { registries: ['registry.io'], action: 'warn' });
    const result = await warning.run('evil.io/x');
    expect(result.denied).toBe(false);
    expect(result.warnings[0]).toMatch(/^allowed-registries: image "evil.io\/x" comes from evil.io\/x/);
  });

  it('the message lists at most eight registries', async () => {
    const many = Array.from({ length: 10 }, (_, i) => `r${i}.example.com`);
    const result = await (await bundled('allowed-registries', { registries: many })).run('evil.io/x');
    expect(result.denyMessages[0]).toContain('(r0.example.com, r1.example.com, r2.example.com, r3.example.com, r4.example.com, r5.example.com, r6.example.com, r7.example.com and 2 more)');
  });

  it.each([
    [{}, 'registries is required: a list of host[:port][/path] entries'],
    [{ registries: 'registry.io' }, 'registries must be a list of host[:port][/path] entries'],
    [{ registries: ['https://registry.io'] }, 'registries[0] "https://registry.io" must not have a scheme: write host[:port][/path]'],
    [{ registries: ['*.registry.io'] }, 'registries[0] "*.registry.io": wildcards are not supported; list each registry'],
    [{ registries: ['registry'] }, 'registries[0] "registry": "registry" has no dot and no port, so Kubernetes would read it as a Docker Hub repository, never as a registry'],
    [{ registries: ['registry.io/Team'] }, 'registries[0] "registry.io/Team": "Team" is not a valid repository path component'],
    [{ registries: ['registry.io:99999'] }, 'registries[0] "registry.io:99999": port 99999 is out of range'],
    [{ registries: ['-bad.io'] }, 'registries[0] "-bad.io": "-bad.io" is not a registry host name'],
    [{ registries: [''] }, 'registries[0] must be a non-empty string host[:port][/path]'],
    [{ registries: ['a.io'], action: 'block' }, 'action must be deny or warn'],
    [{ registries: ['a.io'], registry: 'b.io' }, 'unknown option "registry" (expected registries, action, namespaces, excludeNamespaces, selector)'],
    [{ registries: ['a.io'], namespaces: 'prod' }, 'namespaces must be a list of namespace names'],
    [{ registries: ['a.io'], selector: { matchExpressions: [{ key: 'a', operator: 'Is' }] } }, 'selector.matchExpressions[0] needs a key and an operator (In, NotIn, Exists, DoesNotExist)'],
  ])('rejects options %j', async (options, expected) => {
    expect(await optionsError('allowed-registries', options)).toBe(
      `Plugin failed to load: plugin "allowed-registries" (allowed-registries.js): invalid options: ${expected}`,
    );
  });

  describe('properties', () => {
    const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,5}[a-z0-9])?$/);
    const host = fc.array(label, { minLength: 2, maxLength: 3 }).map((labels) => labels.join('.'));
    const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
    const hostPort = fc.tuple(host, port).map(([h, p]) => (p === undefined ? h : `${h}:${p}`));
    const component = fc.stringMatching(/^[a-z0-9]{1,4}(?:[._-][a-z0-9]{1,3})?$/);
    const path = fc.array(component, { minLength: 0, maxLength: 2 });
    const pattern = fc.tuple(hostPort, path).map(([h, p]) => [h, ...p].join('/'));
    /** Images near a listed pattern: its host with extra labels, suffixes, ports or other paths. */
    const lookalike = (listed: string): fc.Arbitrary<string> =>
      fc.tuple(fc.constantFrom('suffix-label', 'prefix-label', 'dash', 'port', 'path-suffix', 'exact', 'deeper', 'upper'), label, fc.array(component, { minLength: 1, maxLength: 3 })).map(
        ([kind, extra, tail]) => {
          const [hp, ...prefix] = listed.split('/');
          const rest = [...prefix, ...tail].join('/');
          switch (kind) {
            case 'suffix-label':
              return `${hp.replace(/(:\d+)?$/, `.${extra}$1`)}/${rest}`;
            case 'prefix-label':
              return `${extra}.${hp}/${rest}`;
            case 'dash':
              return `${hp.replace(/(:\d+)?$/, `-${extra}$1`)}/${rest}`;
            case 'port':
              return `${hp.replace(/:\d+$/, '')}:${(Number(/:(\d+)$/.exec(hp)?.[1] ?? 0) % 65535) + 1}/${rest}`;
            case 'path-suffix':
              return prefix.length ? `${hp}/${[...prefix.slice(0, -1), `${prefix[prefix.length - 1]}-${extra}`, ...tail].join('/')}` : `${hp}/${rest}`;
            case 'upper':
              return `${hp.toUpperCase()}/${rest}`;
            default:
              return `${hp}/${rest}`;
          }
        },
      );

    it('allows exactly the images whose host equals a listed host and whose path starts with its segments', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(pattern, { minLength: 1, maxLength: 4 }).chain((listed) => fc.tuple(fc.constant(listed), fc.oneof(fc.constantFrom(...listed).chain(lookalike), fc.tuple(hostPort, fc.array(component, { minLength: 1, maxLength: 3 })).map(([h, p]) => `${h}/${p.join('/')}`)))),
          async ([listed, image]) => {
            const parsed = parseReference(image);
            fc.pre(parsed.ok);
            if (!parsed.ok) return;
            const reference = parsed.reference;
            const expected = listed.some((entry) => {
              const [hp, ...segments] = entry.split('/');
              const imageSegments = reference.path.split('/');
              return hp === reference.domain.toLowerCase() && segments.every((s, i) => imageSegments[i] === s);
            });
            const plugin = await bundled('allowed-registries', { registries: listed });
            const result = await plugin.run(image);
            expect(result.denied).toBe(!expected);
            // The safety property: an allowed image's host is exactly one of the listed hosts.
            if (!result.denied) expect(listed.map((entry) => entry.split('/')[0])).toContain(reference.domain.toLowerCase());
          },
        ),
        { numRuns: 150 },
      );
    });
  });
});

describe('disallow-latest', () => {
  it.each([
    ['nginx', { action: 'deny' }, 'deny', 'image "nginx" has no tag, so it runs the mutable "latest": pin a version tag or a digest'],
    ['nginx:latest', { action: 'deny' }, 'deny', 'image "nginx:latest" uses the mutable tag "latest": pin a version tag or a digest'],
    ['ghcr.io/org/app', {}, 'deny', 'image "ghcr.io/org/app" has no tag, so it runs the mutable "latest": pin a version tag or a digest'],
    ['localhost:5000/app:latest', {}, 'deny', 'image "localhost:5000/app:latest" uses the mutable tag "latest": pin a version tag or a digest'],
    ['nginx', { action: 'warn' }, 'warn', 'image "nginx" has no tag, so it runs the mutable "latest": pin a version tag or a digest'],
    ['nginx:1.25', {}, 'allow', null],
    ['nginx:Latest', {}, 'allow', null], // case-sensitive, as Kubernetes
    ['nginx:LATEST', {}, 'allow', null],
    ['nginx:latest-alpine', {}, 'allow', null],
    ['nginx:1-latest', {}, 'allow', null],
    [`nginx@${DIGEST}`, {}, 'allow', null],
    [`nginx:latest@${DIGEST}`, {}, 'allow', null],
    [`nginx:latest@${DIGEST}`, { allowDigest: false }, 'deny', `image "nginx:latest@${DIGEST}" uses the mutable tag "latest": pin a version tag or a digest`],
    [`nginx@${DIGEST}`, { allowDigest: false }, 'allow', null],
  ])('%s with %j → %s', async (image, options, expected, message) => {
    const plugin = await bundled('disallow-latest', options);
    const result = await plugin.run(image);
    expect(verdictOf(result)).toBe(expected);
    if (message !== null) expect([...result.denyMessages, ...result.warnings]).toEqual([`disallow-latest: ${message}`]);
  });

  it('judges the parsed tag: "localhost:5000" alone is the Docker Hub image localhost tagged 5000', async () => {
    const plugin = await bundled('disallow-latest', {});
    expect(verdictOf(await plugin.run('localhost:5000'))).toBe('allow');
    expect(verdictOf(await plugin.run('localhost:5000/app'))).toBe('deny');
  });

  it('rules: the first matching namespace or label selector decides', async () => {
    const plugin = await bundled('disallow-latest', {
      rules: [
        { namespaces: ['prod'], action: 'deny' },
        { selector: { matchLabels: { tier: 'frontend' } }, action: 'deny' },
        { selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['staging', 'qa'] }] }, action: 'deny' },
        { excludeNamespaces: ['sandbox'], action: 'warn' },
      ],
    });
    const cases: [PluginRequestContext, string][] = [
      [{ namespace: 'prod' }, 'deny'],
      [{ namespace: 'dev', labels: { tier: 'frontend' } }, 'deny'],
      [{ namespace: 'dev', labels: { tier: 'backend' } }, 'warn'],
      [{ namespace: 'dev', labels: { env: 'qa' } }, 'deny'],
      [{ namespace: 'dev', labels: { env: 'prod' } }, 'warn'],
      [{ namespace: 'dev' }, 'warn'],
      [{}, 'warn'],
      [{ namespace: 'sandbox' }, 'allow'],
    ];
    for (const [context, expected] of cases) expect([context, verdictOf(await plugin.run('nginx:latest', context))]).toEqual([context, expected]);
  });

  it('label selector operators', async () => {
    const exists = await bundled('disallow-latest', {
      selector: { matchExpressions: [{ key: 'strict', operator: 'Exists' }, { key: 'legacy', operator: 'DoesNotExist' }, { key: 'team', operator: 'NotIn', values: ['infra'] }] },
    });
    expect(verdictOf(await exists.run('nginx', { labels: { strict: '' } }))).toBe('deny');
    expect(verdictOf(await exists.run('nginx', { labels: { strict: 'yes', team: 'web' } }))).toBe('deny');
    expect(verdictOf(await exists.run('nginx', { labels: { strict: 'yes', team: 'infra' } }))).toBe('allow');
    expect(verdictOf(await exists.run('nginx', { labels: { strict: 'yes', legacy: 'true' } }))).toBe('allow');
    expect(verdictOf(await exists.run('nginx', { labels: {} }))).toBe('allow');
    expect(verdictOf(await exists.run('nginx', {}))).toBe('allow');
  });

  it.each([
    [{ action: 'block' }, 'action must be deny or warn'],
    [{ allowDigest: 'yes' }, 'allowDigest must be true or false'],
    [{ rules: [] }, 'rules must be a non-empty list'],
    [{ rules: [{ action: 'deny' }], action: 'warn' }, 'unknown option "action" (expected allowDigest, rules); with rules, put action and scope in each rule'],
    [{ rules: [{ action: 'deny', namespace: 'prod' }] }, 'rules[0]: unknown option "namespace" (expected action, namespaces, excludeNamespaces, selector)'],
    [{ rules: ['deny'] }, 'rules[0] must be a mapping'],
    [{ rules: [{ action: 'stop' }] }, 'rules[0].action must be deny or warn'],
    [{ selector: { matchLabels: { a: 1 } } }, 'selector.matchLabels must map label names to string values'],
    [{ selector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }, 'selector.matchExpressions[0]: In needs a non-empty list of values'],
    [{ selector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } }, 'selector.matchExpressions[0]: Exists takes no values'],
    [{ selector: { matchLabel: {} } }, 'selector has an unknown key "matchLabel" (expected matchLabels, matchExpressions)'],
  ])('rejects options %j', async (options, expected) => {
    expect(await optionsError('disallow-latest', options)).toBe(`Plugin failed to load: plugin "disallow-latest" (disallow-latest.js): invalid options: ${expected}`);
  });

  it('property: denies exactly the untagged (without digest) and :latest images', async () => {
    const plugin = await bundled('disallow-latest', { allowDigest: false });
    const tag = fc.option(fc.oneof(fc.constant('latest'), fc.stringMatching(/^[\w][\w.-]{0,20}$/)), { nil: null });
    const digest = fc.option(fc.constant(DIGEST), { nil: null });
    const name = fc.constantFrom('nginx', 'ghcr.io/org/app', 'localhost:5000/x/y', 'registry.example.com:8443/team/app');
    await fc.assert(
      fc.asyncProperty(name, tag, digest, async (n, t, d) => {
        const image = `${n}${t === null ? '' : `:${t}`}${d === null ? '' : `@${d}`}`;
        const expected = t === 'latest' || (t === null && d === null);
        expect((await plugin.run(image)).denied).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('require-digest', () => {
  const lookup = (answers: Record<string, { digest: string; stale?: boolean } | Error>): PluginDigestLookup & { asked: string[] } => {
    const asked: string[] = [];
    return {
      asked,
      async resolve(image) {
        asked.push(image);
        const answer = answers[image];
        if (answer === undefined) throw new ApiError(ErrorCode.ManifestUnknown, `manifest unknown: ${image}`);
        if (answer instanceof Error) throw answer;
        return answer;
      },
    };
  };

  it.each([
    ['nginx:1.25', {}, 'deny'],
    ['nginx', {}, 'deny'],
    [`nginx@${DIGEST}`, {}, 'allow'],
    [`nginx:1.25@${DIGEST}`, {}, 'allow'],
    ['nginx:1.25', { mode: 'warn' }, 'warn'],
    ['localhost:5000/dev/app:1', { exemptRegistries: ['localhost:5000'] }, 'allow'],
    ['localhost:5001/dev/app:1', { exemptRegistries: ['localhost:5000'] }, 'deny'],
    ['nginx:1.25', { namespaces: ['prod'] }, 'allow'], // context namespace is "default"
  ])('%s with %j → %s', async (image, options, expected) => {
    const result = await (await bundled('require-digest', options)).run(image);
    expect(verdictOf(result)).toBe(expected);
  });

  it('explains how to pin', async () => {
    const result = await (await bundled('require-digest', {})).run('ghcr.io/org/app:2');
    expect(result.denyMessages).toEqual(['require-digest: image "ghcr.io/org/app:2" is not pinned to a digest: use ghcr.io/org/app@sha256:… (or ghcr.io/org/app:2@sha256:…)']);
  });

  it('pin mode pins tags to the digest the lookup gives, keeping the tag', async () => {
    const digestLookup = lookup({
      'docker.io/library/nginx:1.25': { digest: DIGEST },
      'ghcr.io/org/app:latest': { digest: DIGEST },
      'quay.io/org/stale:1': { digest: DIGEST, stale: true },
    });
    const plugin = await bundled('require-digest', { mode: 'pin' }, { digestLookup });
    const nginx = await plugin.run('nginx:1.25');
    expect(nginx).toMatchObject({ denied: false, image: `nginx:1.25@${DIGEST}`, imageMutated: true, warnings: [] });
    expect(nginx.plugins[0]).toMatchObject({ verdict: 'allow', message: `pinned to ${DIGEST}`, mutated: { image: `nginx:1.25@${DIGEST}` } });
    expect((await plugin.run('ghcr.io/org/app')).image).toBe(`ghcr.io/org/app:latest@${DIGEST}`);
    const stale = await plugin.run('quay.io/org/stale:1');
    expect(stale.image).toBe(`quay.io/org/stale:1@${DIGEST}`);
    expect(stale.warnings).toEqual([`require-digest: pinned to ${DIGEST}, the last digest known: the registry did not answer`]);
    expect((await plugin.run(`nginx@${DIGEST}`)).imageMutated).toBe(false);
    expect(digestLookup.asked).toEqual(['docker.io/library/nginx:1.25', 'ghcr.io/org/app:latest', 'quay.io/org/stale:1']);
  });

  it.each([
    ['Fail', true],
    ['Ignore', false],
  ] as const)('pin mode: a failed lookup is a plugin failure handled by failurePolicy %s', async (failurePolicy, denied) => {
    const digestLookup = lookup({ 'docker.io/library/nginx:1.25': new ApiError(ErrorCode.RegistryUnavailable, 'registry-1.docker.io did not answer') });
    const plugin = await bundled('require-digest', { mode: 'pin' }, { digestLookup, failurePolicy });
    const result = await plugin.run('nginx:1.25');
    expect(result.denied).toBe(denied);
    expect(result.image).toBe('nginx:1.25');
    expect(result.plugins[0].error).toEqual({ kind: 'rejection', message: 'rejected: ApiError: registry-1.docker.io did not answer' });
  });

  it('pin mode without a digest lookup fails clearly', async () => {
    const result = await (await bundled('require-digest', { mode: 'pin' })).run('nginx:1.25');
    expect(result.denied).toBe(true);
    expect(result.plugins[0].error?.message).toBe('rejected: resolveDigest: the digest lookup is not available in this service');
  });

  it.each([
    [{ mode: 'strict' }, 'mode must be deny, warn or pin'],
    [{ exemptRegistries: ['localhost'] , mode: 'deny' }, null],
    [{ exemptRegistries: 'localhost:5000' }, 'exemptRegistries must be a list of host[:port][/path] entries'],
    [{ exemptRegistries: ['http://localhost:5000'] }, 'exemptRegistries[0] "http://localhost:5000" must not have a scheme: write host[:port][/path]'],
    [{ platform: 'linux/amd64' }, 'unknown option "platform" (expected mode, exemptRegistries, namespaces, excludeNamespaces, selector)'],
  ])('options %j', async (options, expected) => {
    if (expected === null) {
      await expect(bundled('require-digest', options)).resolves.toBeDefined();
      return;
    }
    expect(await optionsError('require-digest', options)).toBe(`Plugin failed to load: plugin "require-digest" (require-digest.js): invalid options: ${expected}`);
  });
});

describe('registry-mirror', () => {
  const mirrors = {
    'docker.io': 'mirror.example.com/dockerhub',
    'ghcr.io/org': 'registry.internal:5000/ghcr-org',
    'quay.io': 'quay-mirror.example.com',
  };

  it.each([
    ['nginx', 'mirror.example.com/dockerhub/library/nginx'],
    ['nginx:1.25', 'mirror.example.com/dockerhub/library/nginx:1.25'],
    [`nginx@${DIGEST}`, `mirror.example.com/dockerhub/library/nginx@${DIGEST}`],
    [`user/app:2@${DIGEST}`, `mirror.example.com/dockerhub/user/app:2@${DIGEST}`],
    ['docker.io/library/nginx:latest', 'mirror.example.com/dockerhub/library/nginx:latest'],
    ['index.docker.io/bitnami/redis:7', 'mirror.example.com/dockerhub/bitnami/redis:7'],
    ['ghcr.io/org/app:1', 'registry.internal:5000/ghcr-org/app:1'],
    ['ghcr.io/org/sub/app', 'registry.internal:5000/ghcr-org/sub/app'],
    ['ghcr.io/org-x/app:1', null],
    ['ghcr.io/other/app:1', null],
    ['quay.io/a/b:1', 'quay-mirror.example.com/a/b:1'],
    ['quay.io.evil.com/a/b:1', null],
    ['mirror.example.com/dockerhub/library/nginx:1', null], // already mirrored: no loop
    ['registry.k8s.io/pause:3.9', null],
  ])('%s → %s', async (image, expected) => {
    const result = await (await bundled('registry-mirror', { mirrors })).run(image);
    expect(result.denied).toBe(false);
    expect(result.image).toBe(expected ?? image);
    expect(result.imageMutated).toBe(expected !== null);
    if (expected !== null) expect(result.plugins[0].message).toBe(`rewritten to the mirror: ${expected}`);
  });

  it('the most specific source wins', async () => {
    const plugin = await bundled('registry-mirror', { mirrors: { 'docker.io': 'm1.example.com/hub', 'docker.io/library': 'm2.example.com/official' } });
    expect((await plugin.run('nginx:1')).image).toBe('m2.example.com/official/nginx:1');
    expect((await plugin.run('user/app:1')).image).toBe('m1.example.com/hub/user/app:1');
  });

  it('a whole repository can be mapped; a mirror without a path keeps the path', async () => {
    const plugin = await bundled('registry-mirror', { mirrors: { 'docker.io/library/nginx': 'mirror.example.com/web/nginx-copy', 'gcr.io': 'localhost:5000' } });
    expect((await plugin.run('nginx:1.25')).image).toBe('mirror.example.com/web/nginx-copy:1.25');
    expect((await plugin.run('gcr.io/project/app:1')).image).toBe('localhost:5000/project/app:1');
  });

  it('applies only in scope', async () => {
    const plugin = await bundled('registry-mirror', { mirrors, namespaces: ['ci'] });
    expect((await plugin.run('nginx:1', { namespace: 'ci' })).imageMutated).toBe(true);
    expect((await plugin.run('nginx:1', { namespace: 'prod' })).imageMutated).toBe(false);
  });

  it('property: Docker Hub images keep path, tag and digest under the mirror', async () => {
    const plugin = await bundled('registry-mirror', { mirrors: { 'docker.io': 'mirror.example.com/dockerhub' } });
    const component = fc.stringMatching(/^[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,4})?$/);
    await fc.assert(
      fc.asyncProperty(
        fc.array(component, { minLength: 1, maxLength: 3 }),
        fc.option(fc.stringMatching(/^[\w][\w.-]{0,15}$/), { nil: null }),
        fc.boolean(),
        async (path, tag, withDigest) => {
          const image = `docker.io/${path.join('/')}${tag === null ? '' : `:${tag}`}${withDigest ? `@${DIGEST}` : ''}`;
          const original = parseReference(image);
          fc.pre(original.ok);
          if (!original.ok) return;
          const result = await plugin.run(image);
          const mirrored = parseReference(result.image);
          expect(mirrored.ok).toBe(true);
          if (!mirrored.ok) return;
          expect(mirrored.reference.domain).toBe('mirror.example.com');
          expect(mirrored.reference.path).toBe(`dockerhub/${original.reference.path}`);
          expect(mirrored.reference.tag).toBe(original.reference.tag);
          expect(mirrored.reference.digest).toBe(original.reference.digest);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    [{}, 'mirrors is required: a mapping of source registry (host[:port][/path]) to mirror (host[:port][/path])'],
    [{ mirrors: {} }, 'mirrors is required'],
    [{ mirrors: { 'docker.io': 'mirror' } }, 'mirrors["docker.io"] "mirror": "mirror" has no dot and no port, so Kubernetes would read it as a Docker Hub repository, never as a registry'],
    [{ mirrors: { 'https://docker.io': 'mirror.example.com' } }, 'mirrors key "https://docker.io" must not have a scheme'],
    [{ mirrors: { 'docker.io': 'docker.io' } }, 'mirrors["docker.io"] points at itself'],
    [{ mirrors: { 'docker.io': 'a.example.com', 'index.docker.io': 'b.example.com' } }, 'mirrors has "docker.io" and "index.docker.io", which name the same source'],
    [{ mirrors: { 'docker.io': 'a.example.com' }, mirror: 'x' }, 'unknown option "mirror"'],
  ])('rejects options %j', async (options, expected) => {
    expect(await optionsError('registry-mirror', options)).toContain(`plugin "registry-mirror" (registry-mirror.js): invalid options: ${expected}`);
  });
});

describe('always-pull', () => {
  it.each([
    [{ namespaces: ['prod'] }, { namespace: 'prod' }, 'IfNotPresent', 'Always'],
    [{ namespaces: ['prod'] }, { namespace: 'prod' }, 'Never', 'Always'],
    [{ namespaces: ['prod'] }, { namespace: 'prod' }, 'Always', 'Always'],
    [{ namespaces: ['prod'] }, { namespace: 'dev' }, 'IfNotPresent', 'IfNotPresent'],
    [{ namespaces: ['prod'] }, {}, 'IfNotPresent', 'IfNotPresent'],
    [{ namespaces: [] }, { namespace: 'prod' }, 'IfNotPresent', 'IfNotPresent'],
    [{}, { namespace: 'prod' }, 'IfNotPresent', 'IfNotPresent'],
    [{ namespaces: ['*'] }, { namespace: 'anything' }, 'IfNotPresent', 'Always'],
    [{ namespaces: ['*'] }, {}, 'Never', 'Always'],
    [{ namespaces: ['*'], excludeNamespaces: ['kube-system'] }, { namespace: 'kube-system' }, 'IfNotPresent', 'IfNotPresent'],
    [{ namespaces: ['*'], selector: { matchLabels: { pci: 'true' } } }, { namespace: 'x', labels: { pci: 'true' } }, 'IfNotPresent', 'Always'],
    [{ namespaces: ['*'], selector: { matchLabels: { pci: 'true' } } }, { namespace: 'x', labels: { pci: 'false' } }, 'IfNotPresent', 'IfNotPresent'],
  ] as const)('%j in %j: %s → %s', async (options, context, given, expected) => {
    const result = await (await bundled('always-pull', options)).run('nginx:1.25', context, given);
    expect(result.denied).toBe(false);
    expect(result.warnings).toEqual([]);
    expect(result.imagePullPolicy).toBe(expected);
    expect(result.policyMutated).toBe(given !== expected);
    if (given !== expected) {
      const where = 'namespace' in context ? ` in namespace "${context.namespace}"` : '';
      expect(result.plugins[0].message).toBe(`imagePullPolicy set to Always (was ${given})${where}`);
    }
  });

  it.each([
    [{ namespace: 'prod' }, 'unknown option "namespace" (expected namespaces, excludeNamespaces, selector)'],
    [{ namespaces: 'prod' }, 'namespaces must be a list of namespace names'],
    [{ namespaces: [''] }, 'namespaces must be a list of namespace names'],
  ])('rejects options %j', async (options, expected) => {
    expect(await optionsError('always-pull', options)).toBe(`Plugin failed to load: plugin "always-pull" (always-pull.js): invalid options: ${expected}`);
  });
});

describe('out of the box (plugins/plugins.yaml)', () => {
  const ordinary = [
    'nginx',
    'nginx:latest',
    'nginx:1.25',
    'library/redis:7',
    'bitnami/postgresql:16',
    'ghcr.io/org/app:1.2.3',
    'registry.k8s.io/pause:3.9',
    'quay.io/prometheus/prometheus:v2.53.0',
    `gcr.io/distroless/static@${DIGEST}`,
    'localhost:5000/dev/app:dev',
    'registry.internal.example.com:8443/team/app:2024.1',
  ];

  it('enables disallow-latest (warn) and always-pull (no namespaces) and denies no ordinary image, without network', async () => {
    const loaded = await loadPlugins({ dir: BUNDLED_PLUGINS_DIR, configFile: join(BUNDLED_PLUGINS_DIR, 'plugins.yaml'), importModule: nativeImport });
    expect(Object.fromEntries(loaded.plugins.map((p) => [p.name, p.status]))).toEqual({
      'allowed-registries': 'disabled',
      'registry-mirror': 'disabled',
      'disallow-latest': 'active',
      'require-digest': 'disabled',
      'always-pull': 'active',
    });
    const runner = new PluginRunner(loaded.active);
    for (const image of ordinary) {
      for (const namespace of ['default', 'prod', 'kube-system']) {
        const result = await runner.run({ image, imagePullPolicy: 'IfNotPresent', context: { namespace }, operation: 'decision' });
        expect(result.denied).toBe(false);
        expect(result.imageMutated || result.policyMutated).toBe(false);
        expect(result.warnings.length).toBe(image === 'nginx' || image === 'nginx:latest' ? 1 : 0);
      }
    }
  });

  // How cheap they are is measured by `npm run bench` (plugins: in-process run of the five), not here.
  it('all five enabled (test/fixtures/plugins/all-enabled.yaml) still allow ordinary images, synchronously', async () => {
    const loaded = await loadPlugins({
      dir: BUNDLED_PLUGINS_DIR,
      configFile: join(import.meta.dirname, 'fixtures', 'plugins', 'all-enabled.yaml'),
      importModule: nativeImport,
    });
    expect(loaded.active.map((p) => p.name)).toEqual(BUNDLED);
    const runner = new PluginRunner(loaded.active);
    for (const image of ordinary.filter((i) => !i.startsWith('localhost') && !i.startsWith('registry.internal'))) {
      const result = runner.runMaybeSync({ image, imagePullPolicy: 'IfNotPresent', context: { namespace: 'bench' }, operation: 'decision' });
      expect(result).not.toBeInstanceOf(Promise);
      expect((result as PluginRunResult).denied).toBe(false);
      expect((result as PluginRunResult).imagePullPolicy).toBe('Always');
    }
    // A parsed reference (what the decision route hands the runner) is answered synchronously too.
    const reference = parseReference('ghcr.io/org/app:1.2.3');
    if (!reference.ok) throw new Error('unreachable');
    const parsed = runner.runMaybeSync({ image: reference.reference, imagePullPolicy: 'IfNotPresent', context: { namespace: 'default' }, operation: 'decision' });
    expect(parsed).not.toBeInstanceOf(Promise);
    expect((parsed as PluginRunResult).denied).toBe(false);
  });
});

describe('the bundled plugins type-check against the published API (JSDoc, checkJs)', () => {
  it('has no type errors', () => {
    const files = ts.sys.readDirectory(BUNDLED_PLUGINS_DIR, ['.js'], ['**/node_modules/**']);
    expect(files.length).toBeGreaterThanOrEqual(7);
    const program = ts.createProgram(files, {
      allowJs: true,
      checkJs: true,
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ['node'],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n') + (d.file ? ` (${d.file.fileName})` : ''));
    expect(problems).toEqual([]);
  });
});
