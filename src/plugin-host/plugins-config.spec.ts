import { describe, expect, it } from 'vitest';
import { DEFAULT_FAILURE_POLICY, DEFAULT_TIMEOUT_MS, parsePluginsConfig, PluginsConfigError, readPluginsConfig } from './plugins-config.js';

const FILE = '/etc/plugins.yaml';

function problem(text: string): string {
  try {
    parsePluginsConfig(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(PluginsConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('plugins config', () => {
  it('a missing file means defaults and no entries', async () => {
    const config = await readPluginsConfig('/nonexistent/dir/plugins.yaml');
    expect(config.found).toBe(false);
    expect(config.entries.size).toBe(0);
    expect(config.defaults).toEqual({ failurePolicy: DEFAULT_FAILURE_POLICY, timeoutMs: DEFAULT_TIMEOUT_MS });
  });

  it.each(['', '# only a comment\n', 'plugins:\n', 'plugins: []\n', '---\n'])('an empty config %j has no entries', (text) => {
    const config = parsePluginsConfig(text, FILE);
    expect(config.found).toBe(true);
    expect(config.entries.size).toBe(0);
  });

  it('reads every field of an entry and the defaults', () => {
    const config = parsePluginsConfig(
      [
        'defaults: { failurePolicy: Ignore, timeoutMs: 250 }',
        'plugins:',
        '  - name: no-latest',
        '    enabled: false',
        '    optional: true',
        '    order: -5',
        '    failurePolicy: Fail',
        '    timeoutMs: 100',
        '    operations: [decision, admission]',
        '    options: { namespaces: [prod], nested: { a: 1 } }',
        '  - name: other',
      ].join('\n'),
      FILE,
    );
    expect(config.defaults).toEqual({ failurePolicy: 'Ignore', timeoutMs: 250 });
    expect(config.entries.get('no-latest')).toEqual({
      name: 'no-latest',
      enabled: false,
      optional: true,
      order: -5,
      failurePolicy: 'Fail',
      timeoutMs: 100,
      operations: ['decision', 'admission'],
      options: { namespaces: ['prod'], nested: { a: 1 } },
      where: `${FILE}:3:5`,
    });
    expect(config.entries.get('other')).toEqual({ name: 'other', where: `${FILE}:11:5` });
  });

  it.each([
    ['plugins:\n  - name: a\n    order: [1\n', `${FILE}:4:1:`],
    ['plugins:\n  - name: a\n   bad indent: 1\n', `${FILE}:3:`],
    ['plugins: {\n', `${FILE}:2:1:`],
    ['a: 1\na: 2\n', `${FILE}:2:1: Map keys must be unique`],
  ])('a file that does not parse names the file, line and column (%j)', (text, expected) => {
    expect(problem(text)).toContain(`Plugins config ${expected}`);
  });

  it.each([
    ['plugins: 3\n', `${FILE}:1:10: plugins must be a list of entries`],
    ['- name: a\n', `${FILE}:1:1: the file must be a mapping with a "plugins" list`],
    ['plugin:\n  - name: a\n', `${FILE}:1:1: unknown key "plugin" (expected plugins, defaults)`],
    ['plugins:\n  - a\n', `${FILE}:2:5: plugins[0] must be a mapping with at least a name`],
    ['plugins:\n  - enabled: true\n', `${FILE}:2:5: plugins[0]: name is required`],
    ['plugins:\n  - name: No_Latest\n', `${FILE}:2:11: plugins[0] (No_Latest): name "No_Latest" must match [a-z0-9-]+`],
    ['plugins:\n  - name: a\n  - name: a\n', `${FILE}:3:11: plugins[1] (a): plugin "a" is listed twice (first at ${FILE}:2:5)`],
    ['plugins:\n  - name: a\n    enabeld: false\n', `${FILE}:3:5: plugins[0]: unknown key "enabeld"`],
    ['plugins:\n  - name: a\n    enabled: "no"\n', `${FILE}:3:14: plugins[0] (a): enabled must be true or false`],
    ['plugins:\n  - name: a\n    optional: 1\n', 'optional must be true or false'],
    ['plugins:\n  - name: a\n    order: 1.5\n', `${FILE}:3:12: plugins[0] (a): order must be a whole number`],
    ['plugins:\n  - name: a\n    failurePolicy: fail\n', 'failurePolicy must be Fail or Ignore, got "fail"'],
    ['plugins:\n  - name: a\n    timeoutMs: 0\n', 'timeoutMs must be a whole number of milliseconds from 1 to 60000, got 0'],
    ['plugins:\n  - name: a\n    timeoutMs: 100000\n', 'timeoutMs must be a whole number of milliseconds from 1 to 60000, got 100000'],
    ['plugins:\n  - name: a\n    operations: [decide]\n', 'operations must be a non-empty list of decision, default, manifest, admission'],
    ['plugins:\n  - name: a\n    options: [1, 2]\n', `${FILE}:3:14: plugins[0] (a): options must be a mapping`],
    ['defaults: { timeoutMs: -1 }\n', `${FILE}:1:11: defaults: timeoutMs must be a whole number`],
    ['defaults: { order: 3 }\n', 'defaults: unknown key "order" (expected failurePolicy, timeoutMs)'],
  ])('an invalid config %j is an error naming the place', (text, expected) => {
    expect(problem(text)).toContain(expected);
  });
});
