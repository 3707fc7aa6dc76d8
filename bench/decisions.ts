/**
 * Pull decisions (issue 4) and plugins (issue 5): POST /v1/pull-decisions with a warm digest cache
 * against GET /v1/references/parse in the same run; the same with the five bundled plugins enabled
 * against no plugins; a 1 000-container manifest defaulted in-process.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlugins } from '../src/plugin-host/plugin-loader.js';
import { PluginRunner } from '../src/plugin-host/plugin-runner.js';
import { defaultManifests } from '../src/pull-policy/manifests.js';
import { parseReference } from '../src/reference/parse.js';
import { RegistryPusher } from '../test/support/registry-push.js';
import { startRegistry } from '../test/support/registry-server.js';
import { compare, DIST_ROOT, fmt, line, load, percent, ratio, startServer } from './support.js';

const MAIN = join(DIST_ROOT, 'src', 'main.js');

/** The five bundled plugins, all enabled and all running for the benchmark's image (none denies it). */
function allPluginsConfig(registryHost: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-plugins-')), 'plugins.yaml');
  writeFileSync(
    file,
    `plugins:
  - { name: allowed-registries, order: 10, options: { registries: [docker.io, ghcr.io, quay.io, "${registryHost}", mirror.example.com] } }
  - { name: registry-mirror, order: 20, options: { mirrors: { docker.io: mirror.example.com/dockerhub } } }
  - { name: disallow-latest, order: 30, options: { action: warn } }
  - { name: require-digest, order: 40, options: { mode: warn } }
  - { name: always-pull, order: 50, options: { namespaces: [prod] } }
`,
  );
  return file;
}
const ROOT = join(DIST_ROOT, '..');

export async function benchDecisions(durationSeconds: number): Promise<void> {
  const registry = await startRegistry();
  const push = new RegistryPusher(registry.url);
  const pushed = await push.pushImage('bench/app', 'v1');
  const image = `${registry.host}/bench/app:v1`;
  const body = JSON.stringify({
    image,
    imagePullPolicy: 'Always',
    node: { images: [{ references: [image], digest: pushed.digest, pulledBy: 'kubelet', pulledWith: [{ anonymous: true }] }] },
    pod: { namespace: 'prod' },
  });
  const common = { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', REGISTRY_PLAIN_HTTP: registry.host, DIGEST_CACHE_TTL_SECONDS: '600' };
  const noPlugins = await startServer(MAIN, { ...common, PLUGINS_DIR: join(ROOT, 'bench', 'no-plugins') });
  const allPlugins = await startServer(MAIN, { ...common, PLUGINS_DIR: join(ROOT, 'plugins'), PLUGINS_CONFIG: allPluginsConfig(registry.host) });
  try {
    const decide = (url: string) => ({ url: `${url}/v1/pull-decisions`, method: 'POST' as const, body });
    const parseUrl = `${noPlugins.url}/v1/references/parse?reference=${encodeURIComponent(image)}`;
    for (const server of [noPlugins, allPlugins]) {
      const answer = (await (await fetch(`${server.url}/v1/pull-decisions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as { action?: string; reason?: string };
      if (answer.action !== 'UseLocal') throw new Error(`unexpected warm decision: ${JSON.stringify(answer)}`);
      await load({ ...decide(server.url), durationSeconds: 2 });
    }
    await load({ url: parseUrl, durationSeconds: 2 });

    const [parse, plain, plugged] = await compare([{ url: parseUrl }, decide(noPlugins.url), decide(allPlugins.url)], durationSeconds);
    const decisionRatio = ratio(plain, parse);
    const pluginRatio = ratio(plugged, plain);
    line('decisions: GET /v1/references/parse, requests/s', fmt(parse.requestsPerSecond));
    line('decisions: POST /v1/pull-decisions (Always, warm cache), requests/s', `${fmt(plain.requestsPerSecond)} (p99 ${plain.latencyP99Ms} ms, non-2xx ${plain.non2xx})`);
    line('decisions: ratio to GET parse (target >= 70 %)', `${percent(decisionRatio)} ${decisionRatio >= 0.7 ? 'PASS' : 'FAIL'}`);
    line('plugins: POST /v1/pull-decisions, 5 bundled plugins, requests/s', `${fmt(plugged.requestsPerSecond)} (p99 ${plugged.latencyP99Ms} ms, non-2xx ${plugged.non2xx})`);
    line('plugins: ratio to no plugins (target >= 80 %)', `${percent(pluginRatio)} ${pluginRatio >= 0.8 ? 'PASS' : 'FAIL'}`);
  } finally {
    await Promise.all([noPlugins.stop(), allPlugins.stop()]);
    await registry.dispose();
  }
}

/** The five bundled plugins run in-process (test/fixtures/plugins/all-enabled.yaml) on a parsed reference: the cost per run. */
export async function benchPluginRunner(): Promise<void> {
  const loaded = await loadPlugins({ dir: join(ROOT, 'plugins'), configFile: join(ROOT, 'test', 'fixtures', 'plugins', 'all-enabled.yaml') });
  const runner = new PluginRunner(loaded.active);
  const reference = parseReference('ghcr.io/org/app:1.2.3');
  if (!reference.ok) throw new Error('unreachable');
  const input = { image: reference.reference, imagePullPolicy: 'IfNotPresent' as const, context: { namespace: 'default' }, operation: 'decision' as const };
  if (runner.runMaybeSync(input) instanceof Promise) throw new Error('the bundled plugins did not answer synchronously');
  for (let i = 0; i < 20_000; i++) runner.runMaybeSync(input); // warm up
  const runs = 200_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) runner.runMaybeSync(input);
  const microseconds = Number(process.hrtime.bigint() - started) / 1_000 / runs;
  line(`plugins: ${loaded.active.length} bundled plugins in-process, per run (for information)`, `${microseconds.toFixed(2)} µs`);
}

function deploymentYaml(index: number, containers: number): string {
  const list = Array.from(
    { length: containers },
    (_, c) => `        # container ${c}\n        - name: c${c}\n          image: registry.example.com/team/app-${index}-${c}:v${c}\n          ports:\n            - containerPort: 8080\n`,
  ).join('');
  return `# deployment ${index}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${index}\n  namespace: prod\nspec:\n  replicas: 2\n  template:\n    metadata:\n      labels:\n        app: app-${index}\n    spec:\n      containers:\n${list}`;
}

export function benchManifests(): void {
  const yaml = Array.from({ length: 100 }, (_, i) => deploymentYaml(i, 10)).join('---\n');
  const json = { apiVersion: 'v1', kind: 'List', items: Array.from({ length: 100 }, (_, i) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `app-${i}`, namespace: 'prod' }, spec: { template: { spec: { containers: Array.from({ length: 10 }, (_, c) => ({ name: `c${c}`, image: `registry.example.com/team/app-${i}-${c}:v${c}` })) } } } })) };
  for (const [label, manifests] of [['YAML text', yaml], ['JSON object (List)', json]] as const) {
    for (let i = 0; i < 3; i++) defaultManifests({ manifests } as never); // warm up
    const times: number[] = [];
    let containers = 0;
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      containers = defaultManifests({ manifests } as never).containers.length;
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    line(`manifests: ${fmt(containers)} containers, ${label}, median (target < 50 ms)`, `${median.toFixed(1)} ms ${median < 50 ? 'PASS' : 'FAIL'}`);
  }
}
