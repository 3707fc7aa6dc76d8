/**
 * The published plugin API (packages/plugin-api) and the host's own types must be the same: the type
 * assertions below fail `npm run typecheck` when one changes without the other.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type * as Published from '../../packages/plugin-api/index.js';
import * as Host from './plugin-api.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Options = { namespaces?: string[]; mode: 'a' | 'b' };

// Each entry is `true` only when the two declarations agree exactly.
const agreements: [
  Equal<Published.Plugin, Host.Plugin>,
  Equal<Published.Plugin<Options>, Host.Plugin<Options>>,
  Equal<Published.PluginContext<Options>, Host.PluginContext<Options>>,
  Equal<Published.PluginInput, Host.PluginInput>,
  Equal<Published.PluginResult, Host.PluginResult>,
  Equal<Published.PluginMutation, Host.PluginMutation>,
  Equal<Published.PluginRequestContext, Host.PluginRequestContext>,
  Equal<Published.ParsedReference, Host.ParsedReference>,
  Equal<Published.PullPolicy, Host.PullPolicy>,
  Equal<Published.PluginOperation, Host.PluginOperation>,
  Equal<Published.PluginVerdict, Host.PluginVerdict>,
  Equal<Published.PluginLogger, Host.PluginLogger>,
  Equal<Published.PluginDigestAnswer, Host.PluginDigestAnswer>,
  Equal<Published.ResolveDigestOptions, Host.ResolveDigestOptions>,
  Equal<Published.ParseReferenceResult, Host.ParseReferenceResult>,
  Equal<typeof Published.definePlugin, typeof Host.definePlugin>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];

describe('plugin API', () => {
  it('the published types agree with the host types', () => {
    expect(agreements.every(Boolean)).toBe(true);
  });

  it('the published package exports the same version and an identity definePlugin (ESM and CommonJS)', async () => {
    const esm = (await import('../../packages/plugin-api/index.js')) as typeof Published;
    const cjs = createRequire(import.meta.url)('../../packages/plugin-api/index.cjs') as typeof Published;
    for (const api of [esm, cjs]) {
      expect(api.PLUGIN_API_VERSION).toBe(Host.PLUGIN_API_VERSION);
      const plugin = { name: 'x', evaluate: () => ({ verdict: 'allow' as const }) };
      expect(api.definePlugin(plugin)).toBe(plugin);
    }
    expect(Host.definePlugin({ name: 'y', evaluate: () => ({ verdict: 'deny' }) }).name).toBe('y');
  });

  it('a stored ParsedReference of the service fits the published type', () => {
    const parsed = Host.definePlugin<{ n: number }>({
      name: 'typed',
      evaluate(input, ctx) {
        const n: number = ctx.options.n;
        const domain: string = input.image.domain;
        return { verdict: n > 0 && domain !== '' ? 'allow' : 'deny' };
      },
    });
    expect(parsed.name).toBe('typed');
  });
});
