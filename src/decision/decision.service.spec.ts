import { describe, expect, it } from 'vitest';
import { ApiError, ErrorCode, ErrorReason } from '../common/errors.js';
import { answerFromError, answerFromLookup, DecisionService, withoutNulls } from './decision.service.js';
import type { DigestLookup } from './digest-lookup.port.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

describe('registry answers', () => {
  // Issue 12, item 6: the decision branches on the error's typed reason, never on its text. The row with the
  // platform message and no reason used to answer platformMissing (message sniffing); it is notFound now, and
  // an image whose name contains "platform" is no longer reported as a missing platform.
  it.each([
    [ErrorCode.ManifestUnknown, 'docker.io/library/nginx:9 not found at registry', ErrorReason.ManifestUnknown, 'notFound'],
    [ErrorCode.ManifestUnknown, '127.0.0.1:5000/acme/platform-api:1 not found at registry 127.0.0.1:5000', ErrorReason.ManifestUnknown, 'notFound'],
    [ErrorCode.ManifestUnknown, 'docker.io/library/nginx:1 has no image for platform linux/s390x', ErrorReason.PlatformMissing, 'platformMissing'],
    [ErrorCode.ManifestUnknown, 'docker.io/library/nginx:1 has no image for platform linux/s390x', undefined, 'notFound'],
    [ErrorCode.ManifestUnknown, 'gone', ErrorReason.PlatformMissing, 'platformMissing'],
    [ErrorCode.RegistryUnauthorized, 'refused', undefined, 'unauthorized'],
    [ErrorCode.RegistryUnavailable, 'down', undefined, 'unavailable'],
    [ErrorCode.RegistryTimeout, 'slow', undefined, 'unavailable'],
    [ErrorCode.RegistryRateLimited, 'limited', undefined, 'unknown'],
    [ErrorCode.RegistryNotAllowed, 'loopback address refused', undefined, 'unknown'],
  ] as const)('%s (%s, reason %s) → %s', (code, message, reason, status) => {
    expect(answerFromError(new ApiError(code, message, undefined, reason))).toEqual({ source: 'lookup', status, digest: null, error: { code, message } });
  });

  it('an unexpected failure reveals nothing', () => {
    expect(answerFromError(new Error('socket details'))).toMatchObject({ status: 'unknown', error: { code: 'InternalError', message: 'registry lookup failed' } });
  });

  it('a stale answer means the registry is failing', () => {
    expect(answerFromLookup({ digest: D1, stale: true })).toMatchObject({ status: 'unavailable', digest: D1, stale: true });
    expect(answerFromLookup({ digest: D1, platform: { platform: 'linux/arm64', digest: D2 } })).toMatchObject({ status: 'ok', digest: D1, platformDigest: D2 });
  });
});

describe('DecisionService', () => {
  it('without a bound lookup, says the registry was not consulted', async () => {
    const decision = await new DecisionService().decide({ image: 'nginx:1.25' });
    expect(decision).toMatchObject({ action: 'Pull', registry: { consulted: false } });
    expect(decision.warnings.join('\n')).toContain('not consulted');
  });

  it('passes the node platform and finds the local image by the platform digest too', async () => {
    const seen: unknown[] = [];
    const lookup: DigestLookup = {
      resolve: async (image, options) => {
        seen.push([image, options]);
        return { digest: D1, platform: { platform: 'linux/arm64', digest: D2 } };
      },
    };
    const decision = await new DecisionService(lookup).decide({ image: 'nginx', node: { platform: 'linux/arm64', images: [{ references: [`nginx@${D2}`] }] } });
    expect(seen).toEqual([['docker.io/library/nginx:latest', { platform: 'linux/arm64' }]]);
    expect(decision).toMatchObject({ action: 'UseLocal', reason: 'DigestPresent' });
  });

  it('asks about a local image only with detectDrift, and warns about mixed versions', async () => {
    let calls = 0;
    const lookup: DigestLookup = { resolve: async () => ((calls += 1), { digest: D2 }) };
    const input = { image: 'nginx:1.25', node: { images: [{ references: ['nginx:1.25'], digest: D1 }] } };
    expect((await new DecisionService(lookup).decide(input)).warnings).toEqual([]);
    expect(calls).toBe(0);
    const drift = await new DecisionService(lookup).decide({ ...input, detectDrift: true });
    expect(drift.action).toBe('UseLocal');
    expect(drift.warnings.join('\n')).toContain('mixed versions');
  });

  it('a failing drift lookup never changes the decision', async () => {
    const lookup: DigestLookup = { resolve: async () => { throw new ApiError(ErrorCode.RegistryUnavailable, 'down'); } };
    const decision = await new DecisionService(lookup).decide({ image: 'nginx:1.25', detectDrift: true, node: { images: [{ references: ['nginx:1.25'] }] } });
    expect(decision).toMatchObject({ action: 'UseLocal', warnings: [] });
  });

  it('decideMany answers errors per item without failing the batch', async () => {
    const results = await new DecisionService().decideMany([{ image: 'nginx' }, { image: 'nginx', imagePullPolicy: 'x' }]);
    expect(results.map((r) => r.ok)).toEqual([true, false]);
  });

  it('withoutNulls drops GraphQL nulls deeply', () => {
    expect(withoutNulls({ a: null, b: { c: null, d: [1, { e: null }] } })).toEqual({ b: { d: [1, {}] } });
  });
});

describe('DecisionService with rule plugins (operation decision)', () => {
  type RunInput = { image: { input: string; name: string }; imagePullPolicy: string; context: Record<string, unknown>; operation: string };
  const host = (result: (input: RunInput) => Record<string, unknown>) => {
    const seen: RunInput[] = [];
    return {
      seen,
      has: (operation: string) => operation === 'decision',
      run: async (input: RunInput) => {
        seen.push(input);
        return { image: input.image.input, imagePullPolicy: input.imagePullPolicy, imageMutated: false, policyMutated: false, plugins: [], denied: false, denyMessages: [], warnings: [], ...result(input) };
      },
    };
  };
  const report = { name: 'no-latest', verdict: 'deny', message: 'latest is not allowed', durationMs: 0.1 };

  it('a deny fails the decision with DeniedByPolicy and the plugin report', async () => {
    const plugins = host(() => ({ denied: true, denyMessages: ['no-latest: latest is not allowed'], plugins: [report] }));
    const decision = await new DecisionService(null, plugins as never).decide({ image: 'nginx', pod: { namespace: 'prod' }, context: { team: 'a' } });
    expect(decision).toMatchObject({ action: 'Fail', reason: 'DeniedByPolicy', message: 'denied by policy: no-latest: latest is not allowed', plugins: [report], events: [] });
    expect(plugins.seen[0]).toMatchObject({ imagePullPolicy: 'Always', operation: 'decision', context: { team: 'a', namespace: 'prod' } });
  });

  it('a changed policy is decided on and reported as policySource plugin', async () => {
    const plugins = host(() => ({ imagePullPolicy: 'Never', policyMutated: true, warnings: ['pin: use Never on air-gapped nodes'] }));
    const decision = await new DecisionService(null, plugins as never).decide({ image: 'nginx:1.25', node: { images: [{ references: ['nginx:1.25'] }] } });
    expect(decision).toMatchObject({ imagePullPolicy: 'Never', policySource: 'plugin', action: 'UseLocal' });
    expect(decision.warnings).toContain('pin: use Never on air-gapped nodes');
  });

  it('an unparsable image skips the plugins (the kubelet fails first)', async () => {
    const plugins = host(() => ({}));
    const decision = await new DecisionService(null, plugins as never).decide({ image: 'Nginx' });
    expect(decision.reason).toBe('InvalidImageName');
    expect(plugins.seen).toEqual([]);
  });
});
