import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../common/errors.js';
import { parseReference } from '../reference/parse.js';
import type { ParsedReference } from '../reference/parsed-reference.js';
import type { Plugin, PluginContext, PluginInput } from './plugin-api.js';
import { PLUGIN_OPERATIONS, type PluginOperation } from './plugin-api.js';
import type { ActivePlugin } from './plugin-loader.js';
import { DURATION_BUCKETS, PluginStats } from './plugin-metrics.js';
import { type PluginRunInput, PluginRunner } from './plugin-runner.js';
import type { FailurePolicy } from './plugins-config.js';

let counter = 0;

function plugin(
  evaluate: Plugin['evaluate'],
  settings: { name?: string; failurePolicy?: FailurePolicy; timeoutMs?: number; operations?: PluginOperation[] } = {},
): ActivePlugin {
  const name = settings.name ?? `p${++counter}`;
  const ctx = { name, options: {} } as unknown as PluginContext;
  return {
    name,
    order: 0,
    failurePolicy: settings.failurePolicy ?? 'Fail',
    timeoutMs: settings.timeoutMs ?? 1000,
    operations: settings.operations ?? PLUGIN_OPERATIONS,
    plugin: { name, evaluate },
    ctx,
  };
}

const ref = (image: string): ParsedReference => {
  const parsed = parseReference(image);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.reference;
};

const input = (image = 'nginx:1.25', extra: Partial<PluginRunInput> = {}): PluginRunInput => ({
  image: ref(image),
  imagePullPolicy: 'IfNotPresent',
  context: { namespace: 'prod' },
  operation: 'decision',
  ...extra,
});

const allow = (): { verdict: 'allow' } => ({ verdict: 'allow' });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const never = (): Promise<never> => new Promise(() => {});

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = register.getSingleMetric(name);
  const data = await metric?.get();
  const found = data?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val) && !('le' in v.labels));
  return found?.value ?? 0;
}

describe('plugin runner: verdicts', () => {
  it('without plugins answers the input unchanged, synchronously', () => {
    const runner = new PluginRunner([]);
    const result = runner.runMaybeSync(input());
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toEqual({
      image: 'nginx:1.25',
      reference: ref('nginx:1.25'),
      imagePullPolicy: 'IfNotPresent',
      imageMutated: false,
      policyMutated: false,
      plugins: [],
      denied: false,
      denyMessages: [],
      warnings: [],
      budgetExhausted: false,
    });
    expect(runner.size).toBe(0);
    expect(runner.has('decision')).toBe(false);
  });

  it('synchronous plugins answer synchronously; run() always gives a promise', async () => {
    const runner = new PluginRunner([plugin(allow, { name: 'a' }), plugin(allow, { name: 'b' })]);
    const sync = runner.runMaybeSync(input());
    expect(sync).not.toBeInstanceOf(Promise);
    expect((sync as { plugins: unknown[] }).plugins).toEqual([
      { name: 'a', verdict: 'allow', message: null, durationMs: expect.any(Number) },
      { name: 'b', verdict: 'allow', message: null, durationMs: expect.any(Number) },
    ]);
    const promised = runner.run(input());
    expect(promised).toBeInstanceOf(Promise);
    const noTimes = (r: { plugins: { durationMs: number }[] }) => ({ ...r, plugins: r.plugins.map((p) => ({ ...p, durationMs: 0 })) });
    expect(noTimes(await promised)).toEqual(noTimes(sync as Awaited<typeof promised>));
  });

  it('warn adds a warning naming the plugin; deny denies and ends the run', async () => {
    const seen: string[] = [];
    const runner = new PluginRunner([
      plugin(() => (seen.push('w'), { verdict: 'warn', message: 'tag is old' }), { name: 'warner' }),
      plugin(() => (seen.push('d'), { verdict: 'deny', message: 'registry not allowed' }), { name: 'denier' }),
      plugin(() => (seen.push('after'), allow()), { name: 'after' }),
    ]);
    const result = await runner.run(input());
    expect(seen).toEqual(['w', 'd']);
    expect(result.denied).toBe(true);
    expect(result.denyMessages).toEqual(['denier: registry not allowed']);
    expect(result.warnings).toEqual(['warner: tag is old']);
    expect(result.plugins.map((p) => [p.name, p.verdict, p.message])).toEqual([
      ['warner', 'warn', 'tag is old'],
      ['denier', 'deny', 'registry not allowed'],
    ]);
  });

  it('a verdict without a message still names the plugin', async () => {
    const runner = new PluginRunner([plugin(() => ({ verdict: 'warn' }), { name: 'quiet' }), plugin(() => ({ verdict: 'deny' }), { name: 'silent' })]);
    const result = await runner.run(input());
    expect(result.warnings).toEqual(['quiet: warning']);
    expect(result.denyMessages).toEqual(['silent: denied']);
  });

  it('gives every plugin the input, its own context, and the request context', async () => {
    const inputs: PluginInput[] = [];
    const contexts: PluginContext[] = [];
    const a = plugin((i, ctx) => (inputs.push(i), contexts.push(ctx), allow()), { name: 'a' });
    const runner = new PluginRunner([a]);
    await runner.run(input('ghcr.io/org/app:2', { context: { namespace: 'dev', labels: { team: 'x' } }, operation: 'admission', imagePullPolicy: 'Never' }));
    expect(inputs[0]).toEqual({ image: ref('ghcr.io/org/app:2'), imagePullPolicy: 'Never', context: { namespace: 'dev', labels: { team: 'x' } }, operation: 'admission' });
    expect(contexts[0]).toBe(a.ctx);
    await runner.run({ image: 'nginx', imagePullPolicy: 'Always', operation: 'decision' });
    expect(inputs[1].context).toEqual({});
    expect(inputs[1].image.name).toBe('docker.io/library/nginx');
  });

  it('an image given as a string is parsed; an invalid one is an InvalidReference error', async () => {
    const runner = new PluginRunner([plugin(allow)]);
    await expect(runner.run({ image: 'Nginx', imagePullPolicy: 'Always', operation: 'decision' })).rejects.toBeInstanceOf(ApiError);
    await expect(runner.run({ image: 'Nginx', imagePullPolicy: 'Always', operation: 'decision' })).rejects.toMatchObject({ code: 'InvalidReference' });
  });

  it('runs only the plugins configured for the operation', async () => {
    const runner = new PluginRunner([plugin(allow, { name: 'decisions-only', operations: ['decision'] }), plugin(allow, { name: 'everywhere' })]);
    expect((await runner.run(input())).plugins.map((p) => p.name)).toEqual(['decisions-only', 'everywhere']);
    expect((await runner.run(input('nginx:1.25', { operation: 'default' }))).plugins.map((p) => p.name)).toEqual(['everywhere']);
    expect(runner.has('manifest')).toBe(true);
    expect(new PluginRunner([plugin(allow, { operations: ['decision'] })]).has('default')).toBe(false);
    await expect(runner.run(input('nginx:1.25', { operation: 'bogus' as PluginOperation }))).rejects.toMatchObject({ code: 'InvalidRequest' });
  });

  it('accepts thenables that are not promises', async () => {
    const thenable = { then: (resolve: (value: unknown) => void) => resolve({ verdict: 'warn', message: 'thenable' }) };
    const runner = new PluginRunner([plugin(() => thenable as never, { name: 't' })]);
    expect((await runner.run(input())).warnings).toEqual(['t: thenable']);
  });
});

describe('plugin runner: mutations', () => {
  it('each plugin sees the previous mutations; the answer carries the last', async () => {
    const seen: string[] = [];
    const digest = `sha256:${'b'.repeat(64)}`;
    const runner = new PluginRunner([
      plugin((i) => (seen.push(`${i.image.input} ${i.imagePullPolicy}`), { verdict: 'allow', mutate: { image: `mirror.example.com/hub/${i.image.path}:${i.image.tag}` } }), { name: 'mirror' }),
      plugin(async (i) => (seen.push(`${i.image.input} ${i.imagePullPolicy}`), { verdict: 'allow', message: 'pinned', mutate: { image: `${i.image.input}@${digest}` } }), { name: 'pin' }),
      plugin((i) => (seen.push(`${i.image.input} ${i.imagePullPolicy}`), { verdict: 'allow', mutate: { imagePullPolicy: 'Always' } }), { name: 'always' }),
      plugin((i) => (seen.push(`${i.image.input} ${i.imagePullPolicy}`), allow()), { name: 'last' }),
    ]);
    const result = await runner.run(input('nginx:1.25'));
    expect(seen).toEqual([
      'nginx:1.25 IfNotPresent',
      'mirror.example.com/hub/library/nginx:1.25 IfNotPresent',
      `mirror.example.com/hub/library/nginx:1.25@${digest} IfNotPresent`,
      `mirror.example.com/hub/library/nginx:1.25@${digest} Always`,
    ]);
    expect(result.image).toBe(`mirror.example.com/hub/library/nginx:1.25@${digest}`);
    expect(result.reference).toEqual(ref(result.image));
    expect(result.imagePullPolicy).toBe('Always');
    expect(result.imageMutated).toBe(true);
    expect(result.policyMutated).toBe(true);
    expect(result.plugins.map((p) => p.mutated)).toEqual([
      { image: 'mirror.example.com/hub/library/nginx:1.25' },
      { image: `mirror.example.com/hub/library/nginx:1.25@${digest}` },
      { imagePullPolicy: 'Always' },
      undefined,
    ]);
  });

  it('a mutation to the same values changes nothing', async () => {
    const runner = new PluginRunner([plugin(() => ({ verdict: 'allow', mutate: { image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent' } }))]);
    const result = await runner.run(input());
    expect(result.imageMutated).toBe(false);
    expect(result.policyMutated).toBe(false);
    expect(result.plugins[0].mutated).toBeUndefined();
  });

  it('a deny ignores its own mutation', async () => {
    const runner = new PluginRunner([plugin(() => ({ verdict: 'deny', message: 'no', mutate: { image: 'other:1' } }))]);
    const result = await runner.run(input());
    expect(result.image).toBe('nginx:1.25');
  });

  it.each([
    ['Fail', true],
    ['Ignore', false],
  ] as const)('a mutation to an invalid image is the plugin failure (failurePolicy %s)', async (failurePolicy, denied) => {
    const seen: string[] = [];
    const runner = new PluginRunner([
      plugin(() => ({ verdict: 'allow', mutate: { image: 'Bad:Image' } }), { name: 'bad-mutator', failurePolicy }),
      plugin((i) => (seen.push(i.image.input), allow()), { name: 'next' }),
    ]);
    const result = await runner.run(input());
    expect(result.denied).toBe(denied);
    expect(result.image).toBe('nginx:1.25');
    const detail = 'mutated the image to "Bad:Image", which is not valid: invalid reference format: repository name (library/Bad) must be lowercase';
    expect(result.plugins[0]).toMatchObject({ name: 'bad-mutator', verdict: denied ? 'deny' : 'warn', error: { kind: 'invalid-mutation', message: detail } });
    if (denied) {
      expect(result.denyMessages).toEqual([`bad-mutator: plugin "bad-mutator" failed: ${detail} (failurePolicy Fail)`]);
      expect(seen).toEqual([]);
    } else {
      expect(result.warnings).toEqual([`bad-mutator: plugin "bad-mutator" failed: ${detail}; skipped (failurePolicy Ignore)`]);
      expect(seen).toEqual(['nginx:1.25']);
    }
  });
});

describe('plugin runner: failures', () => {
  const cases: [string, Plugin['evaluate'], string, string][] = [
    ['throws', () => { throw new TypeError('cannot read x'); }, 'error', 'threw: TypeError: cannot read x'],
    ['throws a string', () => { throw 'plain string'; }, 'error', 'threw: plain string'],
    ['rejects', async () => { await null; throw new Error('lookup failed'); }, 'rejection', 'rejected: lookup failed'],
    ['hangs', never, 'timeout', 'timed out after 40 ms'],
    ['is slow', async () => { await sleep(150); return allow(); }, 'timeout', 'timed out after 40 ms'],
    ['is slow synchronously', () => { const end = performance.now() + 60; while (performance.now() < end); return allow(); }, 'timeout', 'more than its timeout of 40 ms'],
    ['returns nothing', () => undefined as never, 'invalid-result', 'returned an invalid result: expected an object with a verdict, got undefined'],
    ['returns null', () => null as never, 'invalid-result', 'returned an invalid result: expected an object with a verdict, got null'],
    ['returns a bad verdict', () => ({ verdict: 'ok' }) as never, 'invalid-result', 'returned an invalid result: verdict must be allow, warn or deny, got "ok"'],
    ['returns a bad message', () => ({ verdict: 'allow', message: 3 }) as never, 'invalid-result', 'message must be a string'],
    ['returns a bad mutate', () => ({ verdict: 'allow', mutate: 'x' }) as never, 'invalid-result', 'mutate must be an object'],
    ['returns a bad image', () => ({ verdict: 'allow', mutate: { image: 3 } }) as never, 'invalid-result', 'mutate.image must be a string'],
    ['returns a bad policy', () => ({ verdict: 'allow', mutate: { imagePullPolicy: 'always' } }) as never, 'invalid-result', 'mutate.imagePullPolicy must be Always, IfNotPresent or Never, got "always"'],
    ['resolves to a bad result', async () => 'allow' as never, 'invalid-result', 'expected an object with a verdict, got string'],
  ];

  describe.each(['Fail', 'Ignore'] as const)('failurePolicy %s', (failurePolicy) => {
    it.each(cases)('a plugin that %s', async (_case, evaluate, kind, detail) => {
      const name = `failing-${++counter}`;
      const after: string[] = [];
      const runner = new PluginRunner([plugin(evaluate, { name, failurePolicy, timeoutMs: 40 }), plugin(() => (after.push('ran'), { verdict: 'warn', message: 'after' }), { name: 'after' })]);
      // (A runner that waited for a hung plugin would never answer: the test's own timeout catches that.)
      const result = await runner.run(input());
      const report = result.plugins[0];
      expect(report.name).toBe(name);
      expect(report.error?.kind).toBe(kind);
      expect(report.error?.message).toContain(detail);
      expect(report.message).toContain(`plugin "${name}" failed: `);
      expect(await metricValue('image_policy_plugin_failures_total', { plugin: name, kind })).toBe(1);
      expect(await metricValue('image_policy_plugin_evaluations_total', { plugin: name, verdict: 'error' })).toBe(1);
      if (failurePolicy === 'Fail') {
        expect(result.denied).toBe(true);
        expect(report.verdict).toBe('deny');
        expect(result.denyMessages).toEqual([`${name}: ${report.message}`]);
        expect(report.message).toMatch(/\(failurePolicy Fail\)$/);
        expect(after).toEqual([]);
      } else {
        expect(result.denied).toBe(false);
        expect(report.verdict).toBe('warn');
        expect(result.warnings).toEqual([`${name}: ${report.message}`, 'after: after']);
        expect(report.message).toMatch(/; skipped \(failurePolicy Ignore\)$/);
        expect(after).toEqual(['ran']);
      }
    });
  });

  it('a late answer after the timeout changes nothing, and a late rejection is handled', async () => {
    let resolveLate: (value: unknown) => void = () => {};
    let rejectLate: (error: unknown) => void = () => {};
    const runner = new PluginRunner([
      plugin(() => new Promise((resolve) => (resolveLate = resolve)) as never, { name: 'late-mutator', timeoutMs: 20, failurePolicy: 'Ignore' }),
      plugin(() => new Promise((_, reject) => (rejectLate = reject)) as never, { name: 'late-rejecter', timeoutMs: 20, failurePolicy: 'Ignore' }),
    ]);
    const result = await runner.run(input());
    resolveLate({ verdict: 'allow', mutate: { image: 'evil.example.com/x:1' } });
    rejectLate(new Error('too late'));
    await new Promise((resolve) => setImmediate(resolve)); // every reaction to the late answers has run
    expect(result.image).toBe('nginx:1.25');
    expect(result.plugins.map((p) => p.error?.kind)).toEqual(['timeout', 'timeout']);
  });

  it('a hung plugin holds no timer after the request, and a fast async one clears its timer', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const runner = new PluginRunner([
      plugin(async () => allow(), { name: 'fast-async', timeoutMs: 10_000 }),
      plugin(never, { name: 'hung', timeoutMs: 20, failurePolicy: 'Ignore' }),
    ]);
    for (let i = 0; i < 20; i++) await runner.run(input());
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('a hung plugin costs each request only its timeout, also under concurrency', async () => {
    // 100 requests × 200 ms would take 20 s one after another; side by side they take about 200 ms.
    const runner = new PluginRunner([plugin(never, { name: 'hung', timeoutMs: 200, failurePolicy: 'Ignore' }), plugin(allow, { name: 'ok' })]);
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 100 }, () => runner.run(input())));
    expect(performance.now() - started).toBeLessThan(10_000);
    for (const result of results) expect(result.plugins.map((p) => p.verdict)).toEqual(['warn', 'allow']);
  });

  it('the request budget bounds the whole run', async () => {
    // Without the budget the two hung plugins would take 2 × 20 s.
    const runner = new PluginRunner([
      plugin(never, { name: 'first', timeoutMs: 20_000, failurePolicy: 'Ignore' }),
      plugin(never, { name: 'second', timeoutMs: 20_000, failurePolicy: 'Ignore' }),
      plugin(allow, { name: 'sync' }),
    ]);
    const started = performance.now();
    const result = await runner.run(input(), { budgetMs: 60 });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(result.plugins.map((p) => [p.name, p.error?.kind])).toEqual([
      ['first', 'timeout'],
      ['second', 'timeout'],
      ['sync', 'timeout'],
    ]);
    expect(result.plugins[2].error?.message).toBe("the request's time budget was used up before the plugin ran");
    expect(result.budgetExhausted).toBe(true);
  });

  it('says when the budget, not a plugin\'s own timeout, ended the run', async () => {
    const ownTimeout = new PluginRunner([plugin(never, { name: 'hung', timeoutMs: 20, failurePolicy: 'Ignore' })]);
    expect((await ownTimeout.run(input(), { budgetMs: 5_000 })).budgetExhausted).toBe(false);
    expect((await ownTimeout.run(input())).budgetExhausted).toBe(false);
    const budget = new PluginRunner([plugin(never, { name: 'hung', timeoutMs: 5_000, failurePolicy: 'Ignore' })]);
    const result = await budget.run(input(), { budgetMs: 20 });
    expect(result.budgetExhausted).toBe(true);
    expect(result.warnings).toHaveLength(1); // reported under the plugin's policy all the same
    expect((await budget.run(input(), { budgetMs: 0 })).budgetExhausted).toBe(true);
  });

  it('a slow plugin within its timeout is fine', async () => {
    const runner = new PluginRunner([plugin(async () => (await sleep(20), { verdict: 'warn', message: 'slow but fine' }), { name: 'slowish', timeoutMs: 1_000 })]);
    const result = await runner.run(input());
    expect(result.plugins[0]).toMatchObject({ verdict: 'warn', message: 'slow but fine' });
    expect(result.plugins[0].durationMs).toBeGreaterThanOrEqual(15);
  });
});

describe('plugin runner: metrics', () => {
  it('counts evaluations by plugin and verdict and records durations', async () => {
    const runner = new PluginRunner([
      plugin(() => ({ verdict: 'warn' }), { name: 'metrics-warn' }),
      plugin((i) => (i.image.tag === 'bad' ? { verdict: 'deny' } : allow()), { name: 'metrics-deny' }),
    ]);
    await runner.run(input('nginx:1'));
    await runner.run(input('nginx:bad'));
    expect(await metricValue('image_policy_plugin_evaluations_total', { plugin: 'metrics-warn', verdict: 'warn' })).toBe(2);
    expect(await metricValue('image_policy_plugin_evaluations_total', { plugin: 'metrics-deny', verdict: 'allow' })).toBe(1);
    expect(await metricValue('image_policy_plugin_evaluations_total', { plugin: 'metrics-deny', verdict: 'deny' })).toBe(1);
    const histogram = await register.getSingleMetric('image_policy_plugin_evaluation_duration_seconds')?.get();
    const count = histogram?.values.find((v) => v.labels.plugin === 'metrics-warn' && (v as { metricName?: string }).metricName?.endsWith('_count'));
    expect(count?.value).toBe(2);
    const text = await register.metrics();
    expect(text).toContain('# TYPE image_policy_plugin_evaluations_total counter');
    expect(text).toContain('image_policy_plugin_evaluations_total{plugin="metrics-warn",verdict="warn"} 2');
    expect(text).toContain('# TYPE image_policy_plugin_evaluation_duration_seconds histogram');
    expect(text).toContain('image_policy_plugin_evaluation_duration_seconds_bucket{plugin="metrics-warn",le="+Inf"} 2');
    expect(text).toContain('image_policy_plugin_evaluation_duration_seconds_count{plugin="metrics-warn"} 2');
    expect(text).toMatch(/image_policy_plugin_evaluation_duration_seconds_bucket\{plugin="metrics-warn",le="10"\} 2/);
    expect(text).toContain('# TYPE image_policy_plugin_failures_total counter');
  });

  it('a histogram observation lands in the first bucket whose bound it does not exceed', () => {
    const stats = new PluginStats();
    stats.observe(0.00005);
    stats.observe(0.00006);
    stats.observe(99);
    expect(stats.duration.buckets[0]).toBe(1);
    expect(stats.duration.buckets[1]).toBe(1);
    expect(stats.duration.buckets[DURATION_BUCKETS.length]).toBe(1);
    expect(stats.duration.count).toBe(3);
  });
});
