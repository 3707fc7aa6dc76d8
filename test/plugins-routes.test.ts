/**
 * The rule plugins where they act, on the whole service (startTestApp) with a temporary plugins folder:
 * the bundled plugin files (copied from plugins/) with this file's own config, plus tiny plugins that
 * throw. Every bundled plugin's rules through REST and GraphQL on pull decisions, policy defaulting and
 * manifest defaulting; a mutation chain; plugin failures under failurePolicy Fail and Ignore;
 * require-digest's pin mode against a real registry.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { startTestApp } from './support/app.js';
import { BUNDLED_PLUGINS_DIR, removeTempPluginDirs, tempPluginDir } from './fixtures/plugins/support.js';
import { RegistryPusher } from './support/registry-push.js';
import { type RegistryServer, startRegistry } from './support/registry-server.js';

afterAll(removeTempPluginDirs);

const D = `sha256:${'d'.repeat(64)}`;
/** A simulated registry answer, so decisions never touch the network. */
const SIMULATED = { available: true, exists: true, digest: D };
const BUNDLED = ['allowed-registries', 'registry-mirror', 'disallow-latest', 'require-digest', 'always-pull'];

/** A temporary PLUGINS_DIR with the bundled plugins (and their _lib), `extra` files, and `config` as plugins.yaml. */
function pluginsFolder(config: unknown, extra: Record<string, string> = {}): { PLUGINS_DIR: string; PLUGINS_CONFIG: string } {
  const { dir, configFile } = tempPluginDir(extra);
  cpSync(BUNDLED_PLUGINS_DIR, dir, { recursive: true, filter: (source) => !['plugins.yaml', 'README.md'].includes(basename(source)) });
  writeFileSync(configFile, stringify(config));
  return { PLUGINS_DIR: dir, PLUGINS_CONFIG: configFile };
}

interface Report {
  name: string;
  verdict: string;
  message: string | null;
  durationMs: number;
  mutated?: { image?: string | null; imagePullPolicy?: string | null } | null;
  error?: { kind: string; message: string } | null;
}

/** One surface's answer, reduced to what the plugins decide. */
interface Outcome {
  surface: string;
  denied: boolean;
  image: string;
  imagePullPolicy: string;
  warnings: string[];
  plugins: Report[];
}

interface Where {
  namespace?: string;
  labels?: Record<string, string>;
  imagePullPolicy?: string;
}

const REPORT = 'plugins { name verdict message durationMs mutated { image imagePullPolicy } error { kind message } }';
const DECISION_QUERY = `query ($input: PullDecisionInput!) { pullDecision(input: $input) { image imagePullPolicy policySource action reason message warnings ${REPORT} } }`;
const DEFAULT_QUERY =
  'query ($image: String!, $policy: String, $context: PluginContextInput) { defaultPullPolicy(image: $image, imagePullPolicy: $policy, context: $context) ' +
  `{ image imagePullPolicy defaulted imageValid reason warnings denied deniedBy denyMessages beforePlugins { image imagePullPolicy reason } ${REPORT} } }`;
const MANIFESTS_QUERY =
  'query ($m: String!, $ns: String) { defaultManifests(manifests: $m, namespace: $ns) { format manifests warnings errors denied ' +
  `containers { kind namespace name container image imagePullPolicy podPullPolicy reason warnings denied deniedBy denyMessages beforePlugins { image imagePullPolicy reason } ${REPORT} } } }`;

/** A Deployment with one container, with comments that must survive. */
function deploymentYaml(image: string, where: Where): string {
  const lines = ['# the web tier', 'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: web  # its name'];
  if (where.namespace !== undefined) lines.push(`  namespace: ${where.namespace}`);
  lines.push('spec:', '  template:');
  if (where.labels !== undefined) lines.push('    metadata:', `      labels: ${JSON.stringify(where.labels)}`);
  lines.push('    spec:', '      containers:', '      - name: app', `        image: ${JSON.stringify(image)}  # the image`);
  if (where.imagePullPolicy !== undefined) lines.push(`        imagePullPolicy: ${where.imagePullPolicy}`);
  return `${lines.join('\n')}\n`;
}

/** The container of deploymentYaml as the returned YAML has it, checking the comments survived. */
function containerIn(yaml: string): { image: string; imagePullPolicy: string } {
  expect(yaml).toContain('# the web tier');
  expect(yaml).toContain('  # the image');
  const [document] = parseAllDocuments(yaml) as Array<{ toJS(): { spec: { template: { spec: { containers: Array<{ image: string; imagePullPolicy: string }> } } } } }>;
  return document.toJS().spec.template.spec.containers[0];
}

class Client {
  readonly http: ReturnType<typeof request>;

  constructor(app: NestFastifyApplication) {
    this.http = request(app.getHttpServer());
  }

  async graphql(query: string, variables: Record<string, unknown>): Promise<Record<string, any>> {
    const response = await this.http.post('/graphql').send({ query, variables }).expect(200);
    expect(response.body.errors).toBeUndefined();
    return response.body.data;
  }

  /**
   * The image in `where` through every surface: decisions, defaulting and manifests, each over REST and
   * GraphQL, checking on the way
   * that each manifests answer's YAML holds the image and policy it reports.
   */
  async judge(image: string, where: Where = {}): Promise<Outcome[]> {
    const context = { ...(where.namespace === undefined ? {} : { namespace: where.namespace }), ...(where.labels === undefined ? {} : { labels: where.labels }) };
    const policy = where.imagePullPolicy === undefined ? {} : { imagePullPolicy: where.imagePullPolicy };
    const outcomes: Outcome[] = [];

    const decision = (await this.http.post('/v1/pull-decisions').send({ image, ...policy, context, registry: SIMULATED }).expect(200)).body;
    outcomes.push({ surface: 'REST pull-decisions', denied: decision.reason === 'DeniedByPolicy', ...pick(decision, decision.message) });
    if (decision.reason === 'DeniedByPolicy') expect(decision).toMatchObject({ action: 'Fail', message: expect.stringMatching(/^denied by policy: /) });

    const input = { image, ...policy, registry: SIMULATED, context, ...(where.namespace === undefined ? {} : { pod: { namespace: where.namespace } }) };
    const { pullDecision } = await this.graphql(DECISION_QUERY, { input });
    outcomes.push({ surface: 'GraphQL pullDecision', denied: pullDecision.reason === 'DeniedByPolicy', ...pick(pullDecision, pullDecision.message) });

    const defaulted = (await this.http.post('/v1/pull-policy/default').send({ image, ...policy, context }).expect(200)).body;
    outcomes.push({ surface: 'REST pull-policy/default', denied: defaulted.denied, ...pick(defaulted) });
    checkDenyFields(defaulted);

    const { defaultPullPolicy } = await this.graphql(DEFAULT_QUERY, { image, policy: where.imagePullPolicy ?? null, context });
    outcomes.push({ surface: 'GraphQL defaultPullPolicy', denied: defaultPullPolicy.denied, ...pick(defaultPullPolicy) });
    checkDenyFields(defaultPullPolicy);

    const yaml = deploymentYaml(image, where);
    const manifests = (await this.http.post('/v1/manifests/default').send({ manifests: yaml }).expect(200)).body;
    outcomes.push(manifestOutcome('REST manifests/default', manifests));

    const { defaultManifests } = await this.graphql(MANIFESTS_QUERY, { m: yaml });
    outcomes.push(manifestOutcome('GraphQL defaultManifests', defaultManifests));
    return outcomes;
  }
}

/** `message`: a decision's message, which carries its deny (`denied by policy: …`), counted with the warnings. */
function pick(answer: Record<string, any>, message?: string): Omit<Outcome, 'surface' | 'denied'> {
  return { image: answer.image, imagePullPolicy: answer.imagePullPolicy, warnings: message === undefined ? answer.warnings : [...answer.warnings, message], plugins: answer.plugins };
}

/**
 * A denied defaulting answer names the plugin (the last that ran: a deny ends the run) and says so in its
 * warnings (a container of manifests: in the answer's top-level warnings); an allowed one has no deny fields.
 */
function checkDenyFields(answer: Record<string, any>, warnings: string[] = answer.warnings): void {
  if (answer.denied) {
    expect(answer.deniedBy).toBe(answer.plugins.at(-1).name);
    expect(answer.denyMessages).toEqual([expect.stringMatching(new RegExp(`^${answer.deniedBy}: `))]);
    expect(warnings.some((warning) => warning.endsWith(`denied by policy: ${answer.denyMessages.join('; ')}`))).toBe(true);
  } else {
    expect(answer).toMatchObject({ deniedBy: null, denyMessages: [] });
  }
}

function manifestOutcome(surface: string, answer: Record<string, any>): Outcome {
  expect(answer.containers).toHaveLength(1);
  const container = answer.containers[0];
  checkDenyFields(container, answer.warnings);
  expect(answer.denied).toBe(container.denied);
  if (container.denied) expect(answer.warnings).toContain(`Deployment ${container.namespace === null ? '' : `${container.namespace}/`}web spec.template.spec.containers[0]: denied by policy: ${container.denyMessages.join('; ')}`);
  else expect(answer.warnings).toEqual([]);
  expect(containerIn(answer.manifests)).toEqual({ name: 'app', image: container.image, imagePullPolicy: container.imagePullPolicy });
  // The container's own warnings and the answer's (where a deny is said) together.
  return { surface, denied: container.denied, ...pick({ ...container, warnings: [...container.warnings, ...answer.warnings] }) };
}

interface Expected {
  denied?: boolean;
  image?: string;
  imagePullPolicy?: string;
  /** Verdicts of named plugins. */
  verdicts?: Record<string, string>;
  /** A warning that must be there (a substring). */
  warning?: string;
}

function expectEvery(outcomes: Outcome[], expected: Expected): void {
  expect(outcomes.length).toBeGreaterThanOrEqual(5);
  for (const outcome of outcomes) {
    const at = `${outcome.surface}: ${JSON.stringify(outcome)}`;
    expect(outcome.denied, at).toBe(expected.denied ?? false);
    if (expected.image !== undefined) expect(outcome.image, at).toBe(expected.image);
    if (expected.imagePullPolicy !== undefined) expect(outcome.imagePullPolicy, at).toBe(expected.imagePullPolicy);
    for (const [name, verdict] of Object.entries(expected.verdicts ?? {})) {
      expect(outcome.plugins.find((report) => report.name === name)?.verdict, `${name} in ${at}`).toBe(verdict);
    }
    if (expected.warning !== undefined) expect(outcome.warnings.join('\n'), at).toContain(expected.warning);
    for (const report of outcome.plugins) expect(report.durationMs, at).toBeGreaterThanOrEqual(0);
  }
}

// ---------------------------------------------------------------------------------------------------

/** The five bundled plugins, each scoped to its own namespaces, plus two plugins that throw. */
const RULES = {
  plugins: [
    { name: 'allowed-registries', order: 10, options: { namespaces: ['secure'], registries: ['registry.io', 'ghcr.io/my-org', 'docker.io/library'] } },
    { name: 'registry-mirror', order: 20, options: { namespaces: ['mirrored', 'chain'], mirrors: { 'docker.io': 'mirror.example.com/dockerhub' } } },
    {
      name: 'disallow-latest',
      order: 30,
      options: {
        rules: [
          { namespaces: ['prod'], action: 'deny' },
          { selector: { matchLabels: { tier: 'frontend' } }, action: 'deny' },
          { namespaces: ['dev'], action: 'warn' },
          { selector: { matchExpressions: [{ key: 'stage', operator: 'In', values: ['canary'] }] }, action: 'warn' },
        ],
      },
    },
    { name: 'require-digest', order: 40, options: { namespaces: ['pinned'], mode: 'deny' } },
    { name: 'always-pull', order: 50, options: { namespaces: ['pull-always', 'chain'] } },
    { name: 'explode-ignore', order: 60, failurePolicy: 'Ignore' },
    { name: 'explode-fail', order: 70, failurePolicy: 'Fail' },
    { name: 'echo-context', order: 80 },
  ],
};

const EXPLODING = {
  // CommonJS and ES module, so both load paths throw at run time the same way.
  'explode-ignore.cjs': `module.exports = {
    name: 'explode-ignore',
    evaluate(input) {
      if (input.context.namespace === 'explode' || input.context.namespace === 'explode-ignore') throw new Error('kaboom (ignored)');
      return { verdict: 'allow' };
    },
  };`,
  'explode-fail.mjs': `export default {
    name: 'explode-fail',
    evaluate(input) {
      if (input.context.namespace === 'explode') throw new TypeError('kaboom');
      return { verdict: 'allow' };
    },
  };`,
  // Says what it was given (in namespace "echo" only), so the tests can see each surface's plugin input.
  'echo-context.mjs': `export default {
    name: 'echo-context',
    evaluate(input) {
      if (input.context.namespace !== 'echo') return { verdict: 'allow' };
      return { verdict: 'warn', message: JSON.stringify({ operation: input.operation, image: input.image.input, imagePullPolicy: input.imagePullPolicy, context: input.context }) };
    },
  };`,
};

/** What echo-context saw, from an answer's warnings. */
function echoed(warnings: string[]): unknown {
  const found = warnings.find((warning) => warning.startsWith('echo-context: '));
  return found === undefined ? undefined : JSON.parse(found.slice('echo-context: '.length));
}

describe('the bundled plugins on every surface', () => {
  let app: NestFastifyApplication;
  let client: Client;

  beforeAll(async () => {
    app = await startTestApp(pluginsFolder(RULES, EXPLODING));
    client = new Client(app);
  });
  afterAll(async () => app?.close());

  it('GET /v1/plugins lists the configured plugins as active', async () => {
    const response = await client.http.get('/v1/plugins').expect(200);
    expect(response.body.plugins.map((plugin: { name: string; status: string }) => [plugin.name, plugin.status])).toEqual([
      ...BUNDLED.map((name) => [name, 'active']),
      ['explode-ignore', 'active'],
      ['explode-fail', 'active'],
      ['echo-context', 'active'],
    ]);
  });

  describe('allowed-registries: exact host and whole path segments', () => {
    it.each([
      ['registry.io/app:1', 'allow'],
      ['registry.io/team/app:1', 'allow'],
      ['REGISTRY.io/app:1', 'allow'], // host names compare case-insensitively
      ['registry.io.evil.com/app:1', 'deny'],
      ['registry.io-x/app:1', 'deny'],
      ['registry.io:5000/app:1', 'deny'],
      ['evil.com/registry.io/app:1', 'deny'],
      ['ghcr.io/my-org/app:1', 'allow'],
      ['ghcr.io/my-org-x/app:1', 'deny'],
      ['ghcr.io/app:1', 'deny'],
      ['nginx:1.25', 'allow'],
      ['docker.io/library/nginx:1.25', 'allow'],
      ['bitnami/redis:7', 'deny'],
    ])('%s → %s (REST and GraphQL: decisions, defaulting, manifests)', async (image, verdict) => {
      const outcomes = await client.judge(image, { namespace: 'secure' });
      expectEvery(outcomes, {
        denied: verdict === 'deny',
        image,
        imagePullPolicy: 'IfNotPresent',
        verdicts: { 'allowed-registries': verdict },
        ...(verdict === 'deny' ? { warning: 'which is not under an allowed registry (registry.io, ghcr.io/my-org, docker.io/library)' } : {}),
      });
    });

    it('outside its namespaces the rule does not apply', async () => {
      expectEvery(await client.judge('registry.io.evil.com/app:1', { namespace: 'other' }), { denied: false, verdicts: { 'allowed-registries': 'allow' } });
    });
  });

  describe('disallow-latest: per namespace and per label selector, deny and warn', () => {
    it.each([
      ['nginx', { namespace: 'prod' }, 'deny', 'has no tag'],
      ['nginx:latest', { namespace: 'prod' }, 'deny', 'uses the mutable tag "latest"'],
      ['nginx:1.25', { namespace: 'prod' }, 'allow', null],
      ['nginx:Latest', { namespace: 'prod' }, 'allow', null],
      [`nginx@${D}`, { namespace: 'prod' }, 'allow', null],
      [`nginx:latest@${D}`, { namespace: 'prod' }, 'allow', null],
      ['nginx:latest', { namespace: 'shop', labels: { tier: 'frontend', app: 'web' } }, 'deny', 'uses the mutable tag "latest"'],
      ['nginx:latest', { namespace: 'shop', labels: { tier: 'backend' } }, 'allow', null],
      ['nginx:latest', { namespace: 'shop', labels: { stage: 'canary' } }, 'warn', 'uses the mutable tag "latest"'],
      ['nginx', { namespace: 'dev' }, 'warn', 'has no tag'],
      ['nginx:latest', { namespace: 'shop' }, 'allow', null],
    ] as const)('%s in %j → %s', async (image, where, verdict, message) => {
      const outcomes = await client.judge(image, where);
      expectEvery(outcomes, {
        denied: verdict === 'deny',
        image,
        verdicts: { 'disallow-latest': verdict },
        ...(message === null ? {} : { warning: message }),
      });
      if (verdict === 'warn') for (const outcome of outcomes) expect(outcome.warnings.join('\n')).toMatch(/disallow-latest: image "nginx(:latest)?" /);
    });

    it('the policy the plugins see is the defaulted one: Always for :latest, IfNotPresent when given', async () => {
      expectEvery(await client.judge('nginx:latest', { namespace: 'dev' }), { imagePullPolicy: 'Always', verdicts: { 'disallow-latest': 'warn' } });
      expectEvery(await client.judge('nginx:latest', { namespace: 'dev', imagePullPolicy: 'IfNotPresent' }), { imagePullPolicy: 'IfNotPresent', verdicts: { 'disallow-latest': 'warn' } });
    });
  });

  describe('require-digest in deny mode', () => {
    it.each([
      ['nginx:1.25', 'deny'],
      ['ghcr.io/org/app', 'deny'],
      [`nginx@${D}`, 'allow'],
      [`nginx:1.25@${D}`, 'allow'],
    ])('%s → %s', async (image, verdict) => {
      expectEvery(await client.judge(image, { namespace: 'pinned' }), {
        denied: verdict === 'deny',
        image,
        verdicts: { 'require-digest': verdict },
        ...(verdict === 'deny' ? { warning: 'is not pinned to a digest' } : {}),
      });
    });
  });

  describe('registry-mirror: Docker Hub to the mirror, keeping path, tag and digest', () => {
    it.each([
      ['nginx:1.25', 'mirror.example.com/dockerhub/library/nginx:1.25', 'IfNotPresent'],
      ['nginx', 'mirror.example.com/dockerhub/library/nginx', 'Always'],
      [`bitnami/redis@${D}`, `mirror.example.com/dockerhub/bitnami/redis@${D}`, 'IfNotPresent'],
      [`docker.io/library/nginx:1.25@${D}`, `mirror.example.com/dockerhub/library/nginx:1.25@${D}`, 'IfNotPresent'],
      ['index.docker.io/team/app:v2', 'mirror.example.com/dockerhub/team/app:v2', 'IfNotPresent'],
      ['ghcr.io/org/app:1', 'ghcr.io/org/app:1', 'IfNotPresent'],
      ['docker.io.evil.com/app:1', 'docker.io.evil.com/app:1', 'IfNotPresent'],
    ])('%s → %s', async (image, mirrored, policy) => {
      const outcomes = await client.judge(image, { namespace: 'mirrored' });
      expectEvery(outcomes, { image: mirrored, imagePullPolicy: policy, verdicts: { 'registry-mirror': 'allow' } });
      for (const outcome of outcomes) {
        const report = outcome.plugins.find((plugin) => plugin.name === 'registry-mirror');
        if (mirrored === image) expect(report?.mutated ?? null, outcome.surface).toBeNull();
        else expect(report?.mutated, outcome.surface).toMatchObject({ image: mirrored });
      }
    });

    it('defaulting keeps what the API server gave in beforePlugins; decisions say the pull goes to the mirror', async () => {
      const defaulted = (await client.http.post('/v1/pull-policy/default').send({ image: 'nginx:1.25', context: { namespace: 'mirrored' } }).expect(200)).body;
      expect(defaulted).toMatchObject({
        image: 'mirror.example.com/dockerhub/library/nginx:1.25',
        reason: 'TagNotLatest',
        defaulted: true,
        beforePlugins: { image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', reason: 'TagNotLatest' },
      });
      const decision = (await client.http.post('/v1/pull-decisions').send({ image: 'nginx:1.25', pod: { namespace: 'mirrored' }, registry: SIMULATED }).expect(200)).body;
      expect(decision).toMatchObject({ action: 'Pull', image: 'mirror.example.com/dockerhub/library/nginx:1.25', pullReference: `mirror.example.com/dockerhub/library/nginx@${D}` });
    });
  });

  describe('always-pull in the matching namespaces', () => {
    it.each([
      ['pull-always', 'nginx:1.25', undefined, 'Always'],
      ['pull-always', 'nginx:1.25', 'Never', 'Always'],
      ['pull-always', `nginx@${D}`, undefined, 'Always'],
      ['other', 'nginx:1.25', undefined, 'IfNotPresent'],
      ['other', 'nginx:1.25', 'Never', 'Never'],
    ])('%s: %s (%s) → %s', async (namespace, image, imagePullPolicy, policy) => {
      const outcomes = await client.judge(image, { namespace, ...(imagePullPolicy === undefined ? {} : { imagePullPolicy }) });
      expectEvery(outcomes, { image, imagePullPolicy: policy, verdicts: { 'always-pull': 'allow' } });
      const report = outcomes[0].plugins.find((plugin) => plugin.name === 'always-pull');
      expect(report?.mutated ?? null).toEqual(policy === 'Always' ? { imagePullPolicy: 'Always' } : null);
    });

    it('the answers say a plugin set the policy', async () => {
      const decision = (await client.http.post('/v1/pull-decisions').send({ image: 'nginx:1.25', context: { namespace: 'pull-always' }, registry: SIMULATED }).expect(200)).body;
      expect(decision).toMatchObject({ imagePullPolicy: 'Always', policySource: 'plugin' });
      const defaulted = (await client.http.post('/v1/pull-policy/default').send({ image: 'nginx:1.25', context: { namespace: 'pull-always' } }).expect(200)).body;
      expect(defaulted).toMatchObject({ imagePullPolicy: 'Always', reason: 'Plugin', defaulted: true, beforePlugins: { imagePullPolicy: 'IfNotPresent', reason: 'TagNotLatest' } });
      const manifests = (await client.http.post('/v1/manifests/default').send({ manifests: deploymentYaml('nginx:1.25', { namespace: 'pull-always' }) }).expect(200)).body;
      expect(manifests.containers[0]).toMatchObject({ imagePullPolicy: 'Always', podPullPolicy: 'Always', reason: 'Plugin', defaulted: true });
      expect(manifests.manifests).toBe(`${deploymentYaml('nginx:1.25', { namespace: 'pull-always' })}        imagePullPolicy: Always\n`);
    });
  });

  describe('a mutation chain: registry-mirror, then always-pull', () => {
    it('each plugin sees the one before it; the answer has both changes, in order', async () => {
      const outcomes = await client.judge('nginx:1.25', { namespace: 'chain' });
      expectEvery(outcomes, { image: 'mirror.example.com/dockerhub/library/nginx:1.25', imagePullPolicy: 'Always' });
      for (const outcome of outcomes) {
        const mutations = outcome.plugins.filter((report) => report.mutated).map((report) => [report.name, report.mutated]);
        expect(mutations, outcome.surface).toEqual([
          ['registry-mirror', expect.objectContaining({ image: 'mirror.example.com/dockerhub/library/nginx:1.25' })],
          ['always-pull', expect.objectContaining({ imagePullPolicy: 'Always' })],
        ]);
        expect(outcome.plugins.map((report) => report.name), outcome.surface).toEqual([...BUNDLED, 'explode-ignore', 'explode-fail', 'echo-context']);
      }
      const always = outcomes[0].plugins.find((report) => report.name === 'always-pull');
      expect(always?.message).toBe('imagePullPolicy set to Always (was IfNotPresent) in namespace "chain"');
    });

    it('the rewritten YAML keeps everything else byte for byte', async () => {
      const yaml = deploymentYaml('nginx:1.25', { namespace: 'chain', labels: { app: 'web' } });
      const answer = (await client.http.post('/v1/manifests/default').send({ manifests: yaml }).expect(200)).body;
      expect(answer.manifests).toBe(
        yaml.replace('image: "nginx:1.25"  # the image', 'image: "mirror.example.com/dockerhub/library/nginx:1.25"  # the image\n        imagePullPolicy: Always'),
      );
      expect(answer.containers[0].beforePlugins).toEqual({ image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', reason: 'TagNotLatest' });
    });
  });

  describe('plugins that throw', () => {
    it('failurePolicy Ignore: skipped with a warning naming the plugin; nothing denied', async () => {
      const outcomes = await client.judge('nginx:1.25', { namespace: 'explode-ignore' });
      expectEvery(outcomes, { denied: false, verdicts: { 'explode-ignore': 'warn', 'explode-fail': 'allow' }, warning: 'explode-ignore: plugin "explode-ignore" failed: threw' });
      for (const outcome of outcomes) {
        const report = outcome.plugins.find((plugin) => plugin.name === 'explode-ignore');
        expect(report?.error, outcome.surface).toEqual({ kind: 'error', message: expect.stringContaining('kaboom (ignored)') });
        expect(report?.message, outcome.surface).toMatch(/skipped \(failurePolicy Ignore\)$/);
      }
    });

    it('failurePolicy Fail: denied, naming the plugin (after the ignored one\'s warning)', async () => {
      const outcomes = await client.judge('nginx:1.25', { namespace: 'explode' });
      expectEvery(outcomes, { denied: true, verdicts: { 'explode-ignore': 'warn', 'explode-fail': 'deny' }, warning: 'plugin "explode-fail" failed: threw: TypeError: kaboom' });
      for (const outcome of outcomes) {
        const report = outcome.plugins.find((plugin) => plugin.name === 'explode-fail');
        expect(report?.error?.kind, outcome.surface).toBe('error');
        expect(report?.message, outcome.surface).toMatch(/\(failurePolicy Fail\)$/);
      }
      const defaulted = (await client.http.post('/v1/pull-policy/default').send({ image: 'nginx:1.25', context: { namespace: 'explode' } }).expect(200)).body;
      expect(defaulted).toMatchObject({ denied: true, deniedBy: 'explode-fail' });
    });

    it('the failures are counted in /metrics', async () => {
      const metrics = (await client.http.get('/metrics').expect(200)).text;
      expect(metrics).toMatch(/image_policy_plugin_failures_total\{plugin="explode-fail",kind="error"\} [1-9]/);
      expect(metrics).toMatch(/image_policy_plugin_failures_total\{plugin="explode-ignore",kind="error"\} [1-9]/);
    });
  });

  describe('manifests: one run per container with its own context', () => {
    const manifests = `# a stream of objects
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: prod
spec:
  template:
    metadata:
      labels: {tier: backend}
    spec:
      initContainers:
      - name: migrate
        image: registry.io/shop/migrate:3   # pinned by tag
      containers:
      - name: web
        image: nginx   # no tag!
      - name: cache
        image: redis:7
---
kind: Pod
apiVersion: v1
metadata:
  name: debug
  labels:
    tier: frontend
spec:
  containers:
  - {name: shell, image: "busybox:latest"}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: chain}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: run
            image: bitnami/kubectl:1.30
            imagePullPolicy: IfNotPresent # explicit
`;

    it('per-container verdicts, denies and rewrites; the rest of the YAML unchanged', async () => {
      const answer = (await client.http.post('/v1/manifests/default').send({ manifests }).expect(200)).body;
      expect(answer.containers.map((c: Record<string, unknown>) => [c.name, c.container, c.denied, c.deniedBy, c.image, c.imagePullPolicy])).toEqual([
        ['shop', 'migrate', false, null, 'registry.io/shop/migrate:3', 'IfNotPresent'],
        ['shop', 'web', true, 'disallow-latest', 'nginx', 'Always'],
        ['shop', 'cache', false, null, 'redis:7', 'IfNotPresent'],
        ['debug', 'shell', true, 'disallow-latest', 'busybox:latest', 'Always'],
        ['report', 'run', false, null, 'mirror.example.com/dockerhub/bitnami/kubectl:1.30', 'Always'],
      ]);
      expect(answer.denied).toBe(true);
      expect(answer.warnings).toEqual([
        'Deployment prod/shop spec.template.spec.containers[0]: denied by policy: disallow-latest: image "nginx" has no tag, so it runs the mutable "latest": pin a version tag or a digest',
        'Pod debug spec.containers[0]: denied by policy: disallow-latest: image "busybox:latest" uses the mutable tag "latest": pin a version tag or a digest',
      ]);
      expect(answer.manifests).toBe(
        manifests
          .replace('image: registry.io/shop/migrate:3   # pinned by tag', 'image: registry.io/shop/migrate:3   # pinned by tag\n        imagePullPolicy: IfNotPresent')
          .replace('image: nginx   # no tag!', 'image: nginx   # no tag!\n        imagePullPolicy: Always')
          .replace('image: redis:7', 'image: redis:7\n        imagePullPolicy: IfNotPresent')
          .replace('image: "busybox:latest"}', 'image: "busybox:latest", imagePullPolicy: Always}')
          .replace('image: bitnami/kubectl:1.30\n            imagePullPolicy: IfNotPresent # explicit', 'image: mirror.example.com/dockerhub/bitnami/kubectl:1.30\n            imagePullPolicy: Always # explicit'),
      );
    });

    it('objects without a namespace take `namespace` (default "default") for the plugins', async () => {
      const pod = (image: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image }] } });
      const inDefault = (await client.http.post('/v1/manifests/default').send({ manifests: pod('nginx') }).expect(200)).body;
      expect(inDefault.containers[0]).toMatchObject({ namespace: null, denied: false });
      const inProd = (await client.http.post('/v1/manifests/default').send({ manifests: pod('nginx'), namespace: 'prod' }).expect(200)).body;
      expect(inProd.containers[0]).toMatchObject({ namespace: null, denied: true, deniedBy: 'disallow-latest' });
      const viaGraphql = await client.graphql(MANIFESTS_QUERY, { m: JSON.stringify(pod('nginx:1.25')), ns: 'chain' });
      expect(viaGraphql.defaultManifests.containers[0]).toMatchObject({ image: 'mirror.example.com/dockerhub/library/nginx:1.25', imagePullPolicy: 'Always' });
      expect(JSON.parse(viaGraphql.defaultManifests.manifests).spec.containers[0]).toEqual({ name: 'c', image: 'mirror.example.com/dockerhub/library/nginx:1.25', imagePullPolicy: 'Always' });
    });

    it('a raw YAML body is answered in YAML with the rewrites, the denies as Warning headers and a count', async () => {
      const response = await client.http.post('/v1/manifests/default').set('content-type', 'application/yaml').send(manifests).expect(200);
      expect(response.headers['content-type']).toBe('application/yaml; charset=utf-8');
      expect(response.text).toContain('image: mirror.example.com/dockerhub/bitnami/kubectl:1.30\n            imagePullPolicy: Always # explicit');
      expect(response.text).toContain('# a stream of objects');
      expect(response.headers['x-container-count']).toBe('5');
      expect(response.headers['x-denied-container-count']).toBe('2');
      // Node joins repeated headers with ", ".
      expect(String(response.headers.warning)).toContain('299 - "Pod debug spec.containers[0]: denied by policy: disallow-latest: image \\"busybox:latest\\" uses the mutable tag \\"latest\\": pin a version tag or a digest"');
      const query = await client.http.post('/v1/manifests/default?namespace=prod').set('content-type', 'application/yaml').set('accept', 'application/json').send('kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx}]\n').expect(200);
      expect(query.body.containers[0]).toMatchObject({ denied: true, deniedBy: 'disallow-latest' });
    });
  });

  describe('what the plugins are given on each surface', () => {
    it('defaulting: the context as sent (REST passes other keys too), after the API server\'s defaulting', async () => {
      const rest = (await client.http.post('/v1/pull-policy/default').send({ image: 'nginx', context: { namespace: 'echo', labels: { tier: 'web' }, kind: 'Pod', team: 'payments' } }).expect(200)).body;
      expect(echoed(rest.warnings)).toEqual({ operation: 'default', image: 'nginx', imagePullPolicy: 'Always', context: { namespace: 'echo', labels: { tier: 'web' }, kind: 'Pod', team: 'payments' } });
      const { defaultPullPolicy } = await client.graphql(DEFAULT_QUERY, { image: 'nginx:1.25', policy: 'Never', context: { namespace: 'echo', labels: { tier: 'web' }, name: 'api', container: 'main' } });
      expect(echoed(defaultPullPolicy.warnings)).toEqual({ operation: 'default', image: 'nginx:1.25', imagePullPolicy: 'Never', context: { namespace: 'echo', labels: { tier: 'web' }, name: 'api', container: 'main' } });
    });

    it('manifests: namespace, the object\'s labels overlaid with the template\'s, kind, name and container', async () => {
      const yaml = [
        'apiVersion: batch/v1',
        'kind: CronJob',
        'metadata: {name: nightly, namespace: echo, labels: {app: reports, tier: batch}}',
        'spec:',
        '  schedule: "@daily"',
        '  jobTemplate:',
        '    spec:',
        '      template:',
        '        metadata: {labels: {tier: worker}}',
        '        spec:',
        '          initContainers: [{name: setup, image: busybox:1.36}]',
        '          containers: [{name: run, image: "nginx:latest"}]',
        '',
      ].join('\n');
      const answer = (await client.http.post('/v1/manifests/default').send({ manifests: yaml }).expect(200)).body;
      const context = { namespace: 'echo', labels: { app: 'reports', tier: 'worker' }, kind: 'CronJob', name: 'nightly' };
      expect(answer.containers.map((container: { warnings: string[] }) => echoed(container.warnings))).toEqual([
        { operation: 'manifest', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', context: { ...context, container: 'setup', containerType: 'initContainers' } },
        { operation: 'manifest', image: 'nginx:latest', imagePullPolicy: 'Always', context: { ...context, container: 'run', containerType: 'containers' } },
      ]);
      const { defaultManifests } = await client.graphql(MANIFESTS_QUERY, { m: yaml.replace('namespace: echo, ', ''), ns: 'echo' });
      expect(echoed(defaultManifests.containers[1].warnings)).toEqual({ operation: 'manifest', image: 'nginx:latest', imagePullPolicy: 'Always', context: { ...context, container: 'run', containerType: 'containers' } });
    });

    it('decisions: the context, with the pod\'s namespace (REST and GraphQL)', async () => {
      const rest = (await client.http.post('/v1/pull-decisions').send({ image: 'nginx:1.25', context: { namespace: 'echo', labels: { tier: 'web' } }, registry: SIMULATED }).expect(200)).body;
      expect(echoed(rest.warnings)).toEqual({ operation: 'decision', image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', context: { namespace: 'echo', labels: { tier: 'web' } } });
      const { pullDecision } = await client.graphql(DECISION_QUERY, { input: { image: 'nginx:1.25', pod: { namespace: 'echo' }, registry: SIMULATED } });
      expect(echoed(pullDecision.warnings)).toEqual({ operation: 'decision', image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', context: { namespace: 'echo' } });
      const labelled = await client.graphql(DECISION_QUERY, { input: { image: 'nginx:1.25', context: { labels: { tier: 'web' }, kind: 'Pod' }, pod: { namespace: 'echo' }, registry: SIMULATED } });
      expect(echoed(labelled.pullDecision.warnings)).toEqual({ operation: 'decision', image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', context: { namespace: 'echo', labels: { tier: 'web' }, kind: 'Pod' } });
    });

    it('decisions for manifests: each pod\'s namespace, labels, kind, name and container', async () => {
      const yaml = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: echo, labels: {app: web}}\nspec:\n  template:\n    metadata: {labels: {tier: front}}\n    spec:\n      containers: [{name: main, image: "nginx:1.25"}]\n';
      const answer = (await client.http.post('/v1/pull-decisions/manifests').send({ manifests: yaml, registry: SIMULATED }).expect(200)).body;
      const decision = answer.results[0].decision;
      expect(echoed(decision.warnings)).toEqual({
        operation: 'decision',
        image: 'nginx:1.25',
        imagePullPolicy: 'IfNotPresent',
        context: { namespace: 'echo', labels: { app: 'web', tier: 'front' }, kind: 'Deployment', name: 'web', container: 'main' },
      });
    });
  });

  it('GraphQL defaultPullPolicy: labels are a JSON object; a bad one is an InvalidRequest naming it', async () => {
    const { defaultPullPolicy } = await client.graphql(DEFAULT_QUERY, { image: 'nginx:latest', context: { namespace: 'shop', labels: { tier: 'frontend' } } });
    expect(defaultPullPolicy).toMatchObject({ denied: true, deniedBy: 'disallow-latest' });
    const literal = await client.http.post('/graphql').send({ query: '{ defaultPullPolicy(image: "nginx:latest", context: {namespace: "shop", labels: {tier: "frontend"}}) { denied deniedBy } }' }).expect(200);
    expect(literal.body.data.defaultPullPolicy).toEqual({ denied: true, deniedBy: 'disallow-latest' });
    const bad = await client.http.post('/graphql').send({ query: DEFAULT_QUERY, variables: { image: 'nginx', context: { labels: { tier: 1 } } } });
    expect(bad.body.errors[0].extensions.code).toBe('InvalidRequest');
    expect(bad.body.errors[0].message).toContain('labels must map label names to string values');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('require-digest in pin mode, against a real registry', () => {
  let registry: RegistryServer;
  let app: NestFastifyApplication;
  let client: Client;
  let pushed: { digest: string };

  beforeAll(async () => {
    registry = await startRegistry();
    pushed = await new RegistryPusher(registry.url).pushImage('team/app', 'v1');
    const config = {
      plugins: BUNDLED.map((name) => (name === 'require-digest' ? { name, timeoutMs: 5000, options: { mode: 'pin', exemptRegistries: ['ghcr.io'] } } : { name, enabled: false })),
    };
    app = await startTestApp({ ...pluginsFolder(config), REGISTRY_PLAIN_HTTP: registry.host, REGISTRY_TIMEOUT_MS: '3000' });
    client = new Client(app);
  });
  afterAll(async () => {
    await app?.close();
    await registry?.dispose();
  });

  it('a tag is pinned to the digest the registry has, on every surface', async () => {
    const image = `${registry.host}/team/app:v1`;
    const pinned = `${image}@${pushed.digest}`;
    const outcomes = await client.judge(image, { namespace: 'apps' });
    expectEvery(outcomes, { image: pinned, imagePullPolicy: 'IfNotPresent', verdicts: { 'require-digest': 'allow' } });
    for (const outcome of outcomes) {
      expect(outcome.plugins, outcome.surface).toEqual([expect.objectContaining({ name: 'require-digest', message: `pinned to ${pushed.digest}`, mutated: expect.objectContaining({ image: pinned }) })]);
    }
  });

  it('the decision pulls by the pinned digest from the real registry (no simulation)', async () => {
    const image = `${registry.host}/team/app:v1`;
    const decision = (await client.http.post('/v1/pull-decisions').send({ image }).expect(200)).body;
    expect(decision).toMatchObject({ image: `${image}@${pushed.digest}`, action: 'Pull', pullReference: `${registry.host}/team/app@${pushed.digest}`, registry: { source: 'lookup', status: 'ok' } });
  });

  it('digests and exempt registries are left alone', async () => {
    expectEvery(await client.judge(`${registry.host}/team/app@${pushed.digest}`), { image: `${registry.host}/team/app@${pushed.digest}`, verdicts: { 'require-digest': 'allow' } });
    expectEvery(await client.judge('ghcr.io/org/app:1'), { image: 'ghcr.io/org/app:1', verdicts: { 'require-digest': 'allow' } });
  });

  it('a tag the registry does not have: the lookup fails, so the plugin fails and (failurePolicy Fail) denies', async () => {
    const outcomes = await client.judge(`${registry.host}/team/app:missing`);
    expectEvery(outcomes, { denied: true, image: `${registry.host}/team/app:missing`, verdicts: { 'require-digest': 'deny' }, warning: 'plugin "require-digest" failed: rejected' });
    for (const outcome of outcomes) expect(outcome.plugins[0].error?.kind, outcome.surface).toBe('rejection');
  });

  it('a manifest is written back pinned', async () => {
    const yaml = deploymentYaml(`${registry.host}/team/app:v1`, { namespace: 'apps' });
    const answer = (await client.http.post('/v1/manifests/default').set('content-type', 'application/yaml').send(yaml).expect(200)).text;
    expect(answer).toBe(
      yaml.replace(`image: "${registry.host}/team/app:v1"  # the image`, `image: "${registry.host}/team/app:v1@${pushed.digest}"  # the image\n        imagePullPolicy: IfNotPresent`),
    );
  });
});
