/**
 * Loading plugins from temporary folders, exactly as at start: Node's own import() (CommonJS, ES modules,
 * top-level await), the plugins config, shape and option checks, setup, and the start-stopping errors.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PLUGIN_API_VERSION } from '../src/plugin-host/plugin-api.js';
import type { PluginDigestLookup } from '../src/plugin-host/plugin-digest-lookup.port.js';
import { closePlugins, type LoadedPlugins, loadPlugins, type LoadPluginsOptions, PluginLoadError } from '../src/plugin-host/plugin-loader.js';
import { esmPlugin, nativeImport, removeTempPluginDirs, tempPluginDir } from './fixtures/plugins/support.js';

afterAll(removeTempPluginDirs);

function load(files: Record<string, string>, options: Partial<LoadPluginsOptions> = {}): Promise<LoadedPlugins> {
  const { dir, configFile } = tempPluginDir(files);
  return loadPlugins({ dir, configFile, importModule: nativeImport, ...options });
}

async function loadError(files: Record<string, string>, options: Partial<LoadPluginsOptions> = {}): Promise<PluginLoadError> {
  try {
    await load(files, options);
  } catch (error) {
    if (error instanceof PluginLoadError) return error;
    throw error;
  }
  throw new Error('expected the plugins to fail to load');
}

const statusOf = (loaded: LoadedPlugins): Record<string, string> => Object.fromEntries(loaded.plugins.map((p) => [p.name, p.status]));

describe('module formats', () => {
  it('loads CommonJS, ES modules, top-level await and folder plugins', async () => {
    const loaded = await load({
      'common.cjs': "module.exports = { name: 'common', version: '1.0.0', evaluate: () => ({ verdict: 'allow' }) };",
      'es-module.mjs': esmPlugin('es-module'),
      'detected.js': esmPlugin('detected'), // no package.json: Node detects the ES module syntax
      'waits.mjs': esmPlugin('waits', "evaluate() { return { verdict: 'allow' }; }", "const ready = await new Promise((r) => setTimeout(() => r(true), 20)); if (!ready) throw new Error('x');"),
      'folder/index.js': esmPlugin('folder'),
      'cjs-folder/package.json': '{"type": "commonjs"}',
      'cjs-folder/index.js': "const helper = require('./helper.js'); module.exports = { name: 'cjs-folder', evaluate: helper };",
      'cjs-folder/helper.js': "module.exports = () => ({ verdict: 'warn', message: 'from a helper' });",
      'mjs-folder/index.mjs': esmPlugin('mjs-folder'),
      'ts-compiled.cjs': "'use strict'; Object.defineProperty(exports, '__esModule', { value: true }); exports.default = { name: 'ts-compiled', evaluate() { return { verdict: 'allow' }; } };",
      'named-exports.mjs': "export const name = 'named-exports'; export function evaluate() { return { verdict: 'allow' }; }",
    });
    expect(loaded.plugins.map((p) => [p.name, p.status, p.source])).toEqual([
      ['cjs-folder', 'active', 'cjs-folder/index.js'],
      ['common', 'active', 'common.cjs'],
      ['detected', 'active', 'detected.js'],
      ['es-module', 'active', 'es-module.mjs'],
      ['folder', 'active', 'folder/index.js'],
      ['mjs-folder', 'active', 'mjs-folder/index.mjs'],
      ['named-exports', 'active', 'named-exports.mjs'],
      ['ts-compiled', 'active', 'ts-compiled.cjs'],
      ['waits', 'active', 'waits.mjs'],
    ]);
    const folder = loaded.active.find((p) => p.name === 'cjs-folder');
    expect(folder?.plugin.evaluate({} as never, folder.ctx)).toEqual({ verdict: 'warn', message: 'from a helper' });
  });

  it('skips what is not a plugin: hidden and _-prefixed entries, tests, other files, folders without index, node_modules', async () => {
    const loaded = await load({
      'real.mjs': esmPlugin('real'),
      '.hidden.js': 'throw new Error("never loaded")',
      '_shared.js': 'throw new Error("never loaded")',
      '_lib/index.js': 'throw new Error("never loaded")',
      'real.spec.js': 'throw new Error("never loaded")',
      'real.test.mjs': 'throw new Error("never loaded")',
      'README.md': '# not a plugin',
      'types.d.ts': 'export {}',
      'data/rules.json': '{}',
      'node_modules/dep/index.js': 'throw new Error("never loaded")',
    });
    expect(loaded.plugins.map((p) => p.name)).toEqual(['real']);
  });

  it('a missing plugins folder and a missing config mean no plugins, not an error', async () => {
    const loaded = await loadPlugins({ dir: '/nonexistent/plugins', configFile: '/nonexistent/plugins/plugins.yaml', importModule: nativeImport });
    expect(loaded.plugins).toEqual([]);
    expect(loaded.active).toEqual([]);
    expect(loaded.config.found).toBe(false);
  });

  it('a config that does not parse stops the start naming the file, line and column', async () => {
    const { dir, configFile } = tempPluginDir({ 'plugins.yaml': 'plugins:\n  - name: a\n    order: [1\n' });
    await expect(loadPlugins({ dir, configFile, importModule: nativeImport })).rejects.toThrow(`Plugins config ${configFile}:4:1:`);
  });
});

describe('failures that stop the start', () => {
  it('broken syntax names the plugin, the error and where it is', async () => {
    const error = await loadError({ 'broken.mjs': "export default { name: 'broken',\n  evaluate() { return { verdict: 'allow' } }\n  oops\n};\n" });
    expect(error.message).toMatch(/^Plugin failed to load: plugin "broken" \(broken\.mjs\): failed to load: SyntaxError: .+ \(at broken\.mjs:3\)$/);
    expect(error.failures).toEqual([{ name: 'broken', source: 'broken.mjs', message: expect.stringContaining('SyntaxError') }]);
  });

  it('broken CommonJS syntax too', async () => {
    const error = await loadError({ 'broken.cjs': 'module.exports = { name: "broken", evaluate() { return {} } ;\n' });
    expect(error.message).toMatch(/plugin "broken" \(broken\.cjs\): failed to load: SyntaxError: .+\(at broken\.cjs:1\)/);
  });

  it('a module that throws while loading names the line', async () => {
    const error = await loadError({ 'throws.mjs': "const x = 1;\nthrow new TypeError('no config here');\nexport default {};\n" });
    expect(error.message).toBe('Plugin failed to load: plugin "throws" (throws.mjs): failed to load: TypeError: no config here (at throws.mjs:2:7)');
  });

  it('a module that requires a missing dependency', async () => {
    const error = await loadError({ 'needs-dep.cjs': "require('left-pad-that-does-not-exist'); module.exports = {};" });
    expect(error.message).toContain('plugin "needs-dep" (needs-dep.cjs): failed to load: ');
    expect(error.message).toContain("Cannot find module 'left-pad-that-does-not-exist'");
  });

  it.each([
    ['no export', 'export const x = 1;', 'the module exports no plugin: expected a default export (or module.exports) with a name and an evaluate function'],
    ['no name', "export default { evaluate() {} };", 'invalid plugin: name is missing (a string matching [a-z0-9-]+)'],
    ['bad name', "export default { name: 'No Latest', evaluate() {} };", 'invalid plugin: name "No Latest" must match [a-z0-9-]+'],
    ['no evaluate', "export default { name: 'shape' };", 'invalid plugin: evaluate must be a function'],
    ['evaluate not a function', "export default { name: 'shape', evaluate: true };", 'invalid plugin: evaluate must be a function'],
    ['setup not a function', "export default { name: 'shape', evaluate() {}, setup: 'x' };", 'invalid plugin: setup must be a function'],
    ['version not a string', "export default { name: 'shape', version: 1, evaluate() {} };", 'invalid plugin: version must be a string'],
    ['bad optionsSchema', "export default { name: 'shape', optionsSchema: 3, evaluate() {} };", 'invalid plugin: optionsSchema must be a JSON Schema object'],
    ['invalid JSON Schema', "export default { name: 'shape', optionsSchema: { type: 'nonsense' }, evaluate() {} };", 'optionsSchema is not a valid JSON Schema: '],
    ['bad secretOptions', "export default { name: 'shape', secretOptions: 'token', evaluate() {} };", 'invalid plugin: secretOptions must be a list of option names'],
    ['newer API major', "export default { name: 'shape', apiVersion: '2', evaluate() {} };", `incompatible plugin API: the plugin needs 2, this service provides ${PLUGIN_API_VERSION}`],
    ['newer API minor', "export default { name: 'shape', apiVersion: '1.9', evaluate() {} };", `incompatible plugin API: the plugin needs 1.9, this service provides ${PLUGIN_API_VERSION}`],
    ['older API major', "export default { name: 'shape', apiVersion: '0.9', evaluate() {} };", 'incompatible plugin API'],
    ['API version not a version', "export default { name: 'shape', apiVersion: 'latest', evaluate() {} };", 'invalid plugin: apiVersion must look like "1" or "1.0", got "latest"'],
  ])('an invalid plugin (%s) is named with the cause', async (_case, source, expected) => {
    const error = await loadError({ 'shape.mjs': source });
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0].name).toBe('shape');
    expect(error.failures[0].source).toBe('shape.mjs');
    expect(error.failures[0].message).toContain(expected);
  });

  it('accepts the API versions this host provides', async () => {
    const loaded = await load({
      'v1.mjs': "export default { name: 'v1', apiVersion: '1', evaluate() {} };",
      'v10.mjs': "export default { name: 'v10', apiVersion: '1.0', evaluate() {} };",
      'v100.mjs': "export default { name: 'v100', apiVersion: '1.0.0', evaluate() {} };",
    });
    expect(statusOf(loaded)).toEqual({ v1: 'active', v10: 'active', v100: 'active' });
  });

  it('a throwing setup, a rejecting setup, a hanging setup and a non-Error throw are each named', async () => {
    const error = await loadError(
      {
        'throws.mjs': esmPlugin('throws', "setup() { throw new Error('cannot reach the rules database'); }, evaluate() {}"),
        'rejects.mjs': esmPlugin('rejects', "async setup() { await null; throw new Error('no token'); }, evaluate() {}"),
        'hangs.mjs': esmPlugin('hangs', 'setup() { return new Promise(() => {}); }, evaluate() {}'),
        'strange.mjs': esmPlugin('strange', "setup() { throw 'a string'; }, evaluate() {}"),
      },
      { setupTimeoutMs: 50 },
    );
    expect(error.message).toBe(
      '4 plugins failed to load: ' +
        'plugin "hangs" (hangs.mjs): setup failed: setup did not finish within 50 ms; ' +
        'plugin "rejects" (rejects.mjs): setup failed: no token; ' +
        'plugin "strange" (strange.mjs): setup failed: a string; ' +
        'plugin "throws" (throws.mjs): setup failed: cannot reach the rules database',
    );
  });

  it('two modules with the same plugin name stop the start naming both', async () => {
    const error = await loadError({ 'a.mjs': esmPlugin('same'), 'b.cjs': "module.exports = { name: 'same', evaluate() {} };", 'other.mjs': esmPlugin('other') });
    expect(error.message).toBe('Plugin failed to load: plugin "same" (a.mjs, b.cjs): duplicate plugin name: declared by a.mjs and b.cjs');
  });

  it('a config entry naming a missing plugin stops the start', async () => {
    const { dir, configFile } = tempPluginDir({ 'plugins.yaml': 'plugins:\n  - name: no-such-plugin\n' });
    await expect(loadPlugins({ dir, configFile, importModule: nativeImport })).rejects.toThrow(
      `Plugin failed to load: plugin "no-such-plugin": listed in ${configFile} but not found in ${dir}`,
    );
  });

  describe('options', () => {
    const withOptions = (plugin: string, options: string): Record<string, string> => ({
      'opts.mjs': plugin,
      'plugins.yaml': `plugins:\n  - name: opts\n    options: ${options}\n`,
    });
    const validating = esmPlugin(
      'opts',
      `validateOptions(o) {
        const problems = [];
        if (!Array.isArray(o.namespaces)) problems.push('namespaces must be a list');
        if (o.mode !== undefined && o.mode !== 'strict') problems.push('mode must be strict');
        if (o.explode) throw new Error('validator exploded');
        if (o.single) return 'a single problem';
        return problems;
      },
      evaluate() {}`,
    );
    const schema = esmPlugin(
      'opts',
      `optionsSchema: { type: 'object', required: ['registries'], additionalProperties: false,
        properties: { registries: { type: 'array', items: { type: 'string' }, minItems: 1 } } },
      evaluate() {}`,
    );

    it.each([
      [validating, '{ mode: loose }', 'invalid options: namespaces must be a list; mode must be strict'],
      [validating, '{ namespaces: [], single: true }', 'invalid options: a single problem'],
      [validating, '{ namespaces: [], explode: true }', 'invalid options: validator exploded'],
      [schema, '{}', "invalid options: options must have required property 'registries'"],
      [schema, '{ registries: [] }', 'invalid options: options.registries must NOT have fewer than 1 items'],
      [schema, '{ registries: [1] }', 'invalid options: options.registries.0 must be string'],
      [schema, '{ registries: [a], extra: 1 }', 'invalid options: options must NOT have additional properties'],
    ])('rejected options stop the start (%#)', async (plugin, options, expected) => {
      const error = await loadError(withOptions(plugin, options));
      expect(error.message).toBe(`Plugin failed to load: plugin "opts" (opts.mjs): ${expected}`);
    });

    it('valid options reach setup and the context, frozen', async () => {
      const loaded = await load({
        'opts.mjs': esmPlugin(
          'opts',
          `setup(options, ctx) {
            if (options !== ctx.options) throw new Error('different objects');
            if (!Object.isFrozen(options) || !Object.isFrozen(options.namespaces)) throw new Error('not frozen');
            globalThis.__optsSeen = JSON.stringify(options);
          },
          evaluate() {}`,
        ),
        'plugins.yaml': 'plugins:\n  - name: opts\n    options: { namespaces: [prod, dev] }\n',
      });
      expect(statusOf(loaded)).toEqual({ opts: 'active' });
      expect((globalThis as Record<string, unknown>).__optsSeen).toBe('{"namespaces":["prod","dev"]}');
    });

    it('a plugin without options gets an empty object', async () => {
      const loaded = await load({ 'bare.mjs': esmPlugin('bare') });
      expect(loaded.active[0].ctx.options).toEqual({});
    });
  });

  it('reports every failure at once', async () => {
    const error = await loadError({
      'broken.mjs': 'export default {',
      'bad-setup.mjs': esmPlugin('bad-setup', "setup() { throw new Error('x'); }, evaluate() {}"),
      'plugins.yaml': 'plugins:\n  - name: missing\n',
    });
    expect(error.failures.map((f) => f.name).sort()).toEqual(['bad-setup', 'broken', 'missing']);
  });

  it('plugins already set up are closed when the start stops', async () => {
    await loadError({
      'a-good.mjs': esmPlugin('a-good', "close() { globalThis.__closed = (globalThis.__closed ?? 0) + 1; }, evaluate() {}"),
      'z-bad.mjs': esmPlugin('z-bad', "setup() { throw new Error('x'); }, evaluate() {}"),
    });
    expect((globalThis as Record<string, unknown>).__closed).toBe(1);
  });
});

describe('optional and disabled plugins', () => {
  it('optional plugins that fail are reported as failed and skipped; the others run', async () => {
    const loaded = await load({
      'good.mjs': esmPlugin('good'),
      'broken.mjs': 'export default {',
      'bad-setup.mjs': esmPlugin('bad-setup', "setup() { throw new Error('no database'); }, evaluate() {}"),
      'bad-options.mjs': esmPlugin('bad-options', "validateOptions() { return 'needs a list'; }, evaluate() {}"),
      'dup-a.mjs': esmPlugin('dup'),
      'dup-b.mjs': esmPlugin('dup'),
      'plugins.yaml': [
        'plugins:',
        '  - { name: broken, optional: true }',
        '  - { name: bad-setup, optional: true }',
        '  - { name: bad-options, optional: true }',
        '  - { name: dup, optional: true }',
        '  - { name: gone, optional: true }',
      ].join('\n'),
    });
    expect(loaded.active.map((p) => p.name)).toEqual(['good']);
    const byName = Object.fromEntries(loaded.plugins.map((p) => [p.name, p]));
    expect(byName.broken).toMatchObject({ status: 'failed', optional: true, source: 'broken.mjs', error: expect.stringContaining('failed to load: SyntaxError') });
    expect(byName['bad-setup']).toMatchObject({ status: 'failed', error: 'setup failed: no database', version: '1.2.3' });
    expect(byName['bad-options']).toMatchObject({ status: 'failed', error: 'invalid options: needs a list' });
    expect(byName.dup).toMatchObject({ status: 'failed', source: 'dup-a.mjs, dup-b.mjs', error: 'duplicate plugin name: declared by dup-a.mjs and dup-b.mjs' });
    expect(byName.gone).toMatchObject({ status: 'failed', source: null, error: expect.stringContaining('but not found in') });
    expect(byName.good).toMatchObject({ status: 'active' });
    expect(byName.good.error).toBeUndefined();
  });

  it('disabled plugins are listed but never set up, and their load problems do not stop the start', async () => {
    const loaded = await load({
      'off.mjs': esmPlugin('off', "setup() { globalThis.__offSetup = true; }, validateOptions() { return 'never checked'; }, evaluate() {}"),
      'broken-off.mjs': 'export default {',
      'plugins.yaml': ['plugins:', '  - { name: off, enabled: false, options: { x: 1 } }', '  - { name: broken-off, enabled: false }', '  - { name: absent, enabled: false }'].join('\n'),
    });
    expect(loaded.active).toEqual([]);
    expect((globalThis as Record<string, unknown>).__offSetup).toBeUndefined();
    const byName = Object.fromEntries(loaded.plugins.map((p) => [p.name, p]));
    expect(byName.off).toMatchObject({ status: 'disabled', enabled: false, version: '1.2.3', options: { x: 1 } });
    expect(byName.off.error).toBeUndefined();
    expect(byName['broken-off']).toMatchObject({ status: 'disabled', error: expect.stringContaining('SyntaxError') });
    expect(byName.absent).toMatchObject({ status: 'disabled', source: null, error: expect.stringContaining('not found') });
  });
});

describe('configuration and order', () => {
  it('orders by order then name; unlisted plugins get the defaults', async () => {
    const loaded = await load({
      'zeta.mjs': esmPlugin('zeta'),
      'alpha.mjs': esmPlugin('alpha'),
      'beta.mjs': esmPlugin('beta'),
      'gamma.mjs': esmPlugin('gamma'),
      'plugins.yaml': [
        'defaults: { failurePolicy: Ignore, timeoutMs: 300 }',
        'plugins:',
        '  - { name: zeta, order: 1, failurePolicy: Fail, timeoutMs: 50, operations: [decision] }',
        '  - { name: gamma, order: 1 }',
        '  - { name: beta, order: 200 }',
      ].join('\n'),
    });
    expect(loaded.active.map((p) => [p.name, p.order, p.failurePolicy, p.timeoutMs, p.operations])).toEqual([
      ['gamma', 1, 'Ignore', 300, ['decision', 'default', 'manifest', 'admission']],
      ['zeta', 1, 'Fail', 50, ['decision']],
      ['alpha', 100, 'Ignore', 300, ['decision', 'default', 'manifest', 'admission']],
      ['beta', 200, 'Ignore', 300, ['decision', 'default', 'manifest', 'admission']],
    ]);
    expect(loaded.plugins.map((p) => p.name)).toEqual(['gamma', 'zeta', 'alpha', 'beta']);
  });

  it('the order does not depend on the order of files or config entries', async () => {
    const files = (names: string[]): Record<string, string> => Object.fromEntries(names.map((n) => [`${n}.mjs`, esmPlugin(n)]));
    const a = await load({ ...files(['c', 'a', 'b']), 'plugins.yaml': 'plugins:\n  - { name: b, order: 5 }\n  - { name: a, order: 5 }\n' });
    const b = await load({ ...files(['b', 'c', 'a']), 'plugins.yaml': 'plugins:\n  - { name: a, order: 5 }\n  - { name: b, order: 5 }\n' });
    expect(a.active.map((p) => p.name)).toEqual(['a', 'b', 'c']);
    expect(b.active.map((p) => p.name)).toEqual(['a', 'b', 'c']);
  });

  it('never shows secret option values', async () => {
    const loaded = await load({
      'secretive.mjs': esmPlugin('secretive', "secretOptions: ['webhook'], setup(o) { globalThis.__secretSeen = o.apiToken; }, evaluate() {}"),
      'plugins.yaml':
        'plugins:\n  - name: secretive\n    options: { webhook: https://hooks.example.com/abc, apiToken: s3cr3t, nested: { password: p, user: u }, list: [{ clientSecret: x }], plain: 1 }\n',
    });
    expect(loaded.plugins[0].options).toEqual({
      webhook: '[redacted]',
      apiToken: '[redacted]',
      nested: { password: '[redacted]', user: 'u' },
      list: [{ clientSecret: '[redacted]' }],
      plain: 1,
    });
    expect((globalThis as Record<string, unknown>).__secretSeen).toBe('s3cr3t'); // the plugin itself gets the value
  });
});

describe('the plugin context', () => {
  it('gives the name, API version, a logger and the parser', async () => {
    const loaded = await load({ 'ctx.mjs': esmPlugin('ctx') });
    const { ctx } = loaded.active[0];
    expect(ctx.name).toBe('ctx');
    expect(ctx.apiVersion).toBe(PLUGIN_API_VERSION);
    expect(ctx.parseReference('nginx:1.25')).toMatchObject({ ok: true, reference: { name: 'docker.io/library/nginx', tag: '1.25' } });
    expect(ctx.parseReference('Nginx')).toEqual({ ok: false, input: 'Nginx', error: 'invalid reference format: repository name (library/Nginx) must be lowercase' });
    expect(() => ctx.logger.info({ a: 1 }, 'message')).not.toThrow();
    expect(Object.isFrozen(ctx)).toBe(true);
  });

  it('resolveDigest without a bound lookup rejects clearly', async () => {
    const loaded = await load({ 'ctx.mjs': esmPlugin('ctx') });
    await expect(loaded.active[0].ctx.resolveDigest('nginx:1.25')).rejects.toThrow('resolveDigest: the digest lookup is not available in this service');
  });

  it('resolveDigest goes through the bound lookup, bounded by the plugin timeout', async () => {
    const calls: { image: string; platform?: string; signal?: AbortSignal }[] = [];
    const digestLookup: PluginDigestLookup = {
      resolve(image, options) {
        calls.push({ image, ...options });
        if (image === 'slow:1') {
          return new Promise((_, reject) => options.signal?.addEventListener('abort', () => reject(options.signal?.reason)));
        }
        return Promise.resolve({ digest: `sha256:${'a'.repeat(64)}`, mediaType: 'application/vnd.oci.image.index.v1+json', stale: false });
      },
    };
    const loaded = await load({ 'ctx.mjs': esmPlugin('ctx'), 'plugins.yaml': 'plugins:\n  - { name: ctx, timeoutMs: 30 }\n' }, { digestLookup });
    const { ctx } = loaded.active[0];
    await expect(ctx.resolveDigest('nginx:1.25', { platform: 'linux/arm64' })).resolves.toEqual({
      digest: `sha256:${'a'.repeat(64)}`,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      stale: false,
    });
    expect(calls[0]).toMatchObject({ image: 'nginx:1.25', platform: 'linux/arm64' });
    expect(calls[0].signal).toBeInstanceOf(AbortSignal);
    await expect(ctx.resolveDigest('slow:1')).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('closePlugins calls close and survives a throwing one', async () => {
    const loaded = await load({
      'a.mjs': esmPlugin('a', "close() { throw new Error('x'); }, evaluate() {}"),
      'b.mjs': esmPlugin('b', 'async close() { globalThis.__bClosed = true; }, evaluate() {}'),
    });
    await closePlugins(loaded.active);
    expect((globalThis as Record<string, unknown>).__bClosed).toBe(true);
  });
});
