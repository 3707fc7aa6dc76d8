/**
 * The rule plugins on policy and manifest defaulting, through PullPolicyService with the real runner and
 * in-memory plugins: verdicts, deny, warn, mutations written into every manifest form, the context each
 * container gets, and the path without plugins.
 */
import { describe, expect, it } from 'vitest';
import type { Plugin, PluginContext, PluginInput, PluginOperation, PluginResult } from '../plugin-host/plugin-api.js';
import { PLUGIN_OPERATIONS } from '../plugin-host/plugin-api.js';
import type { PluginHost } from '../plugin-host/plugin-host.service.js';
import type { ActivePlugin } from '../plugin-host/plugin-loader.js';
import { PluginRunner } from '../plugin-host/plugin-runner.js';
import { defaultManifests, walkManifestsDeferred } from './manifests.js';
import type { PullPolicyAnswer } from './pull-policy-plugins.js';
import { PullPolicyService } from './pull-policy.service.js';

type Evaluate = (input: PluginInput) => PluginResult | Promise<PluginResult>;

function active(name: string, evaluate: Evaluate, settings: { operations?: PluginOperation[]; failurePolicy?: 'Fail' | 'Ignore' } = {}): ActivePlugin {
  const plugin: Plugin = { name, evaluate };
  return {
    name,
    order: 0,
    failurePolicy: settings.failurePolicy ?? 'Fail',
    timeoutMs: 1000,
    operations: settings.operations ?? PLUGIN_OPERATIONS,
    plugin,
    ctx: { name, options: {} } as unknown as PluginContext,
  };
}

function service(...plugins: ActivePlugin[]): PullPolicyService {
  const runner = new PluginRunner(plugins);
  const host = { has: (operation: PluginOperation) => runner.has(operation), runMaybeSync: runner.runMaybeSync.bind(runner), run: runner.run.bind(runner) };
  return new PullPolicyService(host as unknown as PluginHost);
}

/** Records every input the plugin saw. */
function recorder(name = 'recorder', result: PluginResult = { verdict: 'allow' }): { plugin: ActivePlugin; seen: PluginInput[] } {
  const seen: PluginInput[] = [];
  return {
    seen,
    plugin: active(name, (input) => {
      seen.push(input);
      return result;
    }),
  };
}

/** The answer, which must be synchronous (every plugin answered synchronously). */
function sync<T>(value: T | Promise<T>): T {
  if (value instanceof Promise) throw new Error('expected a synchronous answer');
  return value;
}

const mirror = (input: PluginInput): PluginResult =>
  input.image.domain === 'docker.io'
    ? { verdict: 'allow', message: 'mirrored', mutate: { image: `mirror.example.com/dockerhub/${input.image.path}${input.image.tag === null ? '' : `:${input.image.tag}`}` } }
    : { verdict: 'allow' };
const alwaysPull = (): PluginResult => ({ verdict: 'allow', mutate: { imagePullPolicy: 'Always' } });

describe('policy defaulting with plugins', () => {
  it('without a plugin host: the API server\'s answer with empty plugin fields', () => {
    expect(new PullPolicyService().defaultPolicy({ image: 'nginx' })).toEqual({
      image: 'nginx',
      imagePullPolicy: 'Always',
      defaulted: true,
      imageValid: true,
      reason: 'NoTag',
      warnings: [],
      plugins: [],
      denied: false,
      deniedBy: null,
      denyMessages: [],
      beforePlugins: null,
    });
  });

  it('plugins of other operations are not asked (and the answer stays synchronous)', () => {
    const { plugin, seen } = recorder();
    const only = active('decisions-only', () => ({ verdict: 'deny' }), { operations: ['decision'] });
    const answer = service(only, { ...plugin, operations: ['manifest'] }).defaultPolicy({ image: 'nginx:1.25' }) as PullPolicyAnswer;
    expect(answer).toMatchObject({ plugins: [], denied: false });
    expect(seen).toEqual([]);
  });

  it('plugins see the defaulted policy, the parsed image, the context and the operation', () => {
    const { plugin, seen } = recorder();
    service(plugin).defaultPolicy({ image: 'nginx', context: { namespace: 'prod', labels: { tier: 'web' }, name: null as unknown as string } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ imagePullPolicy: 'Always', operation: 'default', image: { domain: 'docker.io', path: 'library/nginx' } });
    expect(seen[0].context).toEqual({ namespace: 'prod', labels: { tier: 'web' } });
  });

  it('AlwaysPullImages comes before the plugins', () => {
    const { plugin, seen } = recorder();
    service(plugin).defaultPolicy({ image: 'nginx:1.25', imagePullPolicy: 'Never', alwaysPullImages: true });
    expect(seen[0].imagePullPolicy).toBe('Always');
  });

  it('a deny is reported (denied, deniedBy, denyMessages, a warning), with every verdict before it', () => {
    const first = active('first', () => ({ verdict: 'warn', message: 'hmm' }));
    const denier = active('denier', () => ({ verdict: 'deny', message: 'not from here' }));
    const answer = service(first, denier).defaultPolicy({ image: 'nginx:1.25' }) as PullPolicyAnswer;
    expect(answer).toMatchObject({
      image: 'nginx:1.25',
      imagePullPolicy: 'IfNotPresent',
      reason: 'TagNotLatest',
      denied: true,
      deniedBy: 'denier',
      denyMessages: ['denier: not from here'],
      warnings: ['first: hmm', 'denied by policy: denier: not from here'],
      beforePlugins: null,
    });
    expect(answer.plugins.map((report) => [report.name, report.verdict, report.message])).toEqual([
      ['first', 'warn', 'hmm'],
      ['denier', 'deny', 'not from here'],
    ]);
    expect(answer.plugins[0].durationMs).toBeGreaterThanOrEqual(0);
  });

  it('mutations change the answer; beforePlugins keeps the API server\'s; the warnings follow the final policy', () => {
    const plain = service().defaultPolicy({ image: 'nginx:latest', imagePullPolicy: 'IfNotPresent' }) as PullPolicyAnswer;
    expect(plain.warnings.join()).toContain('IfNotPresent with the mutable tag "latest"');
    const answer = service(active('mirror', mirror), active('always', alwaysPull)).defaultPolicy({ image: 'nginx:latest', imagePullPolicy: 'IfNotPresent' }) as PullPolicyAnswer;
    expect(answer).toMatchObject({
      image: 'mirror.example.com/dockerhub/library/nginx:latest',
      imagePullPolicy: 'Always',
      reason: 'Plugin',
      defaulted: false,
      denied: false,
      beforePlugins: { image: 'nginx:latest', imagePullPolicy: 'IfNotPresent', reason: 'Specified' },
    });
    expect(answer.warnings).toEqual([]);
    expect(answer.plugins.map((report) => report.mutated)).toEqual([{ image: 'mirror.example.com/dockerhub/library/nginx:latest' }, { imagePullPolicy: 'Always' }]);
  });

  it('an image-only mutation keeps the reason', () => {
    const answer = service(active('mirror', mirror)).defaultPolicy({ image: 'nginx:1.25' }) as PullPolicyAnswer;
    expect(answer).toMatchObject({ image: 'mirror.example.com/dockerhub/library/nginx:1.25', reason: 'TagNotLatest', beforePlugins: { image: 'nginx:1.25', reason: 'TagNotLatest' } });
  });

  it('an asynchronous plugin makes the answer a promise', async () => {
    const answer = service(active('slow', async () => ({ verdict: 'warn', message: 'later' }))).defaultPolicy({ image: 'nginx:1.25' });
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toMatchObject({ warnings: ['slow: later'], plugins: [{ name: 'slow', verdict: 'warn' }] });
  });

  it('a failing plugin follows its failurePolicy', () => {
    const boom = (): PluginResult => {
      throw new Error('boom');
    };
    const failed = service(active('boom', boom)).defaultPolicy({ image: 'nginx:1.25' }) as PullPolicyAnswer;
    expect(failed).toMatchObject({ denied: true, deniedBy: 'boom', plugins: [{ name: 'boom', verdict: 'deny', error: { kind: 'error' } }] });
    const ignored = service(active('boom', boom, { failurePolicy: 'Ignore' })).defaultPolicy({ image: 'nginx:1.25' }) as PullPolicyAnswer;
    expect(ignored).toMatchObject({ denied: false, plugins: [{ name: 'boom', verdict: 'warn' }] });
    expect(ignored.warnings[0]).toMatch(/^boom: plugin "boom" failed: threw: .*boom.*failurePolicy Ignore/);
  });

  it('an image that does not parse is left to the kubelet (no plugin runs)', () => {
    const { plugin, seen } = recorder('r', { verdict: 'deny' });
    const answer = service(plugin).defaultPolicy({ image: 'Nginx' }) as PullPolicyAnswer;
    expect(answer).toMatchObject({ imageValid: false, denied: false, plugins: [] });
    expect(seen).toEqual([]);
  });
});

const deployment = `# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web  # the name
  namespace: shop
  labels: {app: web, tier: old}
spec:
  template:
    metadata:
      labels:
        tier: frontend
    spec:
      initContainers:
      - name: init
        image: busybox   # unpinned
      containers:
      - name: web
        image: "nginx:1.25"
        imagePullPolicy: IfNotPresent
      - name: side
        image: ghcr.io/org/side:v1
---
apiVersion: v1
kind: Pod
metadata: {name: solo}
spec:
  containers:
  - {name: c, image: redis}
`;

describe('manifest defaulting with plugins', () => {
  it('without plugins the answer is defaultManifests\' with empty plugin fields', () => {
    const answer = sync(new PullPolicyService().defaultManifests({ manifests: deployment }));
    expect(answer).toEqual(defaultManifests({ manifests: deployment }));
    expect(answer).toMatchObject({ denied: false, containers: [{ plugins: [], denied: false, deniedBy: null, denyMessages: [], beforePlugins: null }, {}, {}, {}] });
  });

  it('each container is asked with its namespace (or the default), labels, kind, name and container, after defaulting', () => {
    const { plugin, seen } = recorder();
    service(plugin).defaultManifests({ manifests: deployment, namespace: 'team' });
    expect(seen.map((input) => [input.operation, input.image.input, input.imagePullPolicy, input.context])).toEqual([
      ['manifest', 'busybox', 'Always', { namespace: 'shop', labels: { app: 'web', tier: 'frontend' }, kind: 'Deployment', name: 'web', container: 'init', containerType: 'initContainers' }],
      ['manifest', 'nginx:1.25', 'IfNotPresent', { namespace: 'shop', labels: { app: 'web', tier: 'frontend' }, kind: 'Deployment', name: 'web', container: 'web', containerType: 'containers' }],
      ['manifest', 'ghcr.io/org/side:v1', 'IfNotPresent', { namespace: 'shop', labels: { app: 'web', tier: 'frontend' }, kind: 'Deployment', name: 'web', container: 'side', containerType: 'containers' }],
      ['manifest', 'redis', 'Always', { namespace: 'team', labels: {}, kind: 'Pod', name: 'solo', container: 'c', containerType: 'containers' }],
    ]);
    const { plugin: other, seen: again } = recorder();
    service(other).defaultManifests({ manifests: deployment });
    expect(again[3].context.namespace).toBe('default');
  });

  it('mutations are written into the YAML in place (comments, quoting and flow style kept) and reported', () => {
    const answer = sync(service(active('mirror', mirror), active('always', (input) => (input.context.kind === 'Pod' ? { verdict: 'allow' } : alwaysPull()))).defaultManifests({ manifests: deployment }));
    expect(answer.manifests).toBe(
      deployment
        .replace('image: busybox   # unpinned', 'image: mirror.example.com/dockerhub/library/busybox   # unpinned\n        imagePullPolicy: Always')
        .replace('image: "nginx:1.25"\n        imagePullPolicy: IfNotPresent', 'image: "mirror.example.com/dockerhub/library/nginx:1.25"\n        imagePullPolicy: Always')
        .replace('image: ghcr.io/org/side:v1', 'image: ghcr.io/org/side:v1\n        imagePullPolicy: Always')
        .replace('{name: c, image: redis}', '{name: c, image: mirror.example.com/dockerhub/library/redis, imagePullPolicy: Always}'),
    );
    const [init, web, side, solo] = answer.containers;
    expect(init).toMatchObject({ image: 'mirror.example.com/dockerhub/library/busybox', imagePullPolicy: 'Always', reason: 'NoTag', beforePlugins: { image: 'busybox', imagePullPolicy: 'Always', reason: 'NoTag' } });
    expect(web).toMatchObject({ image: 'mirror.example.com/dockerhub/library/nginx:1.25', imagePullPolicy: 'Always', podPullPolicy: 'Always', reason: 'Plugin', beforePlugins: { image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', reason: 'Specified' } });
    expect(side).toMatchObject({ image: 'ghcr.io/org/side:v1', imagePullPolicy: 'Always', reason: 'Plugin', beforePlugins: { image: 'ghcr.io/org/side:v1', imagePullPolicy: 'IfNotPresent', reason: 'TagNotLatest' } });
    expect(solo).toMatchObject({ image: 'mirror.example.com/dockerhub/library/redis', imagePullPolicy: 'Always', reason: 'NoTag' });
    expect(web.plugins.map((report) => report.name)).toEqual(['mirror', 'always']);
    expect(answer.denied).toBe(false);
  });

  it('JSON text, objects and lists get the same changes (a new imagePullPolicy right after image)', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'x' }, spec: { containers: [{ name: 'c', image: 'nginx:1.25', ports: [] }] } };
    const policies = service(active('mirror', mirror), active('always', alwaysPull));
    const expected = { name: 'c', image: 'mirror.example.com/dockerhub/library/nginx:1.25', imagePullPolicy: 'Always', ports: [] };
    const fromObject = sync(policies.defaultManifests({ manifests: pod })) as unknown as { manifests: typeof pod };
    expect(fromObject.manifests.spec.containers[0]).toEqual(expected);
    expect(Object.keys(fromObject.manifests.spec.containers[0])).toEqual(['name', 'image', 'imagePullPolicy', 'ports']);
    expect(pod.spec.containers[0]).toEqual({ name: 'c', image: 'nginx:1.25', ports: [] }); // the input is not changed
    const fromList = sync(policies.defaultManifests({ manifests: [pod] })) as unknown as { manifests: Array<typeof pod> };
    expect(fromList.manifests[0].spec.containers[0]).toEqual(expected);
    const fromJson = sync(policies.defaultManifests({ manifests: JSON.stringify(pod, null, 2) })) as unknown as { manifests: string };
    expect(JSON.parse(fromJson.manifests).spec.containers[0]).toEqual(expected);
    expect(fromJson.manifests).toContain('\n  "kind": "Pod"');
  });

  it('a deny is per container: denied, deniedBy, denyMessages, and a top-level warning (the manifests still answered)', () => {
    const denyRedis = active('no-redis', (input) => (input.image.path === 'library/redis' ? { verdict: 'deny', message: 'no redis here' } : { verdict: 'warn', message: 'looked' }));
    const answer = sync(service(denyRedis).defaultManifests({ manifests: deployment }));
    expect(answer.denied).toBe(true);
    expect(answer.containers.map((container) => container.denied)).toEqual([false, false, false, true]);
    expect(answer.containers[3]).toMatchObject({ deniedBy: 'no-redis', denyMessages: ['no-redis: no redis here'], imagePullPolicy: 'Always' });
    expect(answer.containers[0].warnings).toContain('no-redis: looked');
    expect(answer.warnings).toEqual(['Pod solo spec.containers[0]: denied by policy: no-redis: no redis here']);
    expect(answer.manifests).toBe(defaultManifests({ manifests: deployment }).manifests);
  });

  it('asynchronous plugins: one promise for the whole answer', async () => {
    const answer = service(active('slow', async (input) => ({ verdict: 'allow', mutate: { image: `${input.image.input.split(':')[0]}:pinned` } }))).defaultManifests({ manifests: deployment });
    expect(answer).toBeInstanceOf(Promise);
    const settled = await answer;
    expect(settled.containers.map((container) => container.image)).toEqual(['busybox:pinned', 'nginx:pinned', 'ghcr.io/org/side:pinned', 'redis:pinned']);
    expect(settled.manifests).toContain('image: "nginx:pinned"');
  });

  it('containers without a valid image or policy are not asked', () => {
    const { plugin, seen } = recorder();
    const answer = sync(
      service(plugin).defaultManifests({
        manifests: 'kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: Nginx}\n  - {name: b, image: nginx, imagePullPolicy: Sometimes}\n  - {name: c}\n',
      }),
    );
    expect(seen).toEqual([]);
    expect(answer.containers.map((container) => container.plugins)).toEqual([[], [], []]);
  });

  it('AlwaysPullImages: pods from a template still get Always when a plugin changes the template\'s policy', () => {
    const never = active('never', () => ({ verdict: 'allow', mutate: { imagePullPolicy: 'Never' } }));
    const answer = sync(service(never).defaultManifests({ manifests: deployment, alwaysPullImages: true }));
    expect(answer.containers[1]).toMatchObject({ imagePullPolicy: 'Never', podPullPolicy: 'Always', reason: 'Plugin' });
  });

  it('a mutated image that an alias refers to: only this container changes', () => {
    const anchored = 'kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: &img nginx:1.25\n  - name: b\n    image: *img\n';
    const answer = sync(service(active('mirror', (input) => (input.context.container === 'a' ? mirror(input) : { verdict: 'allow' }))).defaultManifests({ manifests: anchored }));
    expect(answer.manifests).toBe(
      anchored
        .replace('&img nginx:1.25', '&img mirror.example.com/dockerhub/library/nginx:1.25\n    imagePullPolicy: IfNotPresent')
        .replace('image: *img', 'image: nginx:1.25\n    imagePullPolicy: IfNotPresent'),
    );
    expect(answer.containers.map((container) => container.image)).toEqual(['mirror.example.com/dockerhub/library/nginx:1.25', 'nginx:1.25']);
    // Both mirrored: each container gets its own value.
    const both = sync(service(active('mirror', mirror)).defaultManifests({ manifests: anchored }));
    expect(both.manifests).toBe(
      anchored
        .replace('&img nginx:1.25', '&img mirror.example.com/dockerhub/library/nginx:1.25\n    imagePullPolicy: IfNotPresent')
        .replace('image: *img', 'image: mirror.example.com/dockerhub/library/nginx:1.25\n    imagePullPolicy: IfNotPresent'),
    );
  });
});

describe('the deferred walk', () => {
  it('renders objects again from the input (a second rendering does not see the first one\'s changes)', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const walk = walkManifestsDeferred({ manifests: pod });
    const changed = walk.render([{ image: 'other:1' }]) as typeof pod;
    const plain = walk.render() as typeof pod;
    expect(changed.spec.containers[0]).toEqual({ name: 'c', image: 'other:1', imagePullPolicy: 'Always' });
    expect(plain.spec.containers[0]).toEqual({ name: 'c', image: 'nginx', imagePullPolicy: 'Always' });
  });
});
