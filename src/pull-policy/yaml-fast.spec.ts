/**
 * The fast YAML reader (yaml-fast.ts) against the full `yaml` Document path: the same values, the same
 * edited text, the same reports and the same errors, for generated manifests in many styles; and the
 * inputs it must leave to the full path.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Document, type ScalarTag } from 'yaml';
import { ApiError } from '../common/errors.js';
import { type ContainerChange, defaultManifests, walkManifestsDeferred } from './manifests.js';
import { fastParseYaml, NON_STRING_FIRST, resolvePlain } from './yaml-fast.js';
import { parseYamlSource, yamlReading } from './yaml-source.js';

afterEach(() => {
  yamlReading.fast = true;
});

/** Runs `run` with the fast reader on, then off; returns both results (or the thrown errors' messages). */
function bothWays<T>(run: () => T): { fast: T | { error: string }; full: T | { error: string } } {
  const attempt = (): T | { error: string } => {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return { error: `${error.code}: ${error.message}` };
    }
  };
  yamlReading.fast = true;
  const fast = attempt();
  yamlReading.fast = false;
  const full = attempt();
  yamlReading.fast = true;
  return { fast, full };
}

function expectSameEverywhere(text: string, changes?: Array<ContainerChange | undefined>): void {
  const values = bothWays(() => parseYamlSource(text, 'manifests').values);
  expect(values.fast).toEqual(values.full);
  const result = bothWays(() => defaultManifests({ manifests: text }));
  expect(result.fast).toEqual(result.full);
  if (changes !== undefined) {
    const rendered = bothWays(() => {
      const walk = walkManifestsDeferred({ manifests: text });
      return walk.render(changes.slice(0, walk.containers.length));
    });
    expect(rendered.fast).toEqual(rendered.full);
  }
}

/** Runs of the generated comparisons (FAST_YAML_RUNS=20000 for a longer soak). */
const RUNS = Number(process.env.FAST_YAML_RUNS ?? 300);

const DIGEST = `sha256:${'c'.repeat(64)}`;

const BENCH_LIKE = [
  '# deployment 0',
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata:',
  '  name: app-0',
  '  namespace: prod',
  'spec:',
  '  template:',
  '    spec:',
  '      containers:',
  '        # container 0',
  '        - name: c0',
  '          image: registry.example.com/team/app:v1',
  '          ports:',
  '            - containerPort: 8080',
  '',
].join('\n');

describe('fast reader: inputs it reads', () => {
  const accepted: Array<[string, string]> = [
    ['a bench-like Deployment', BENCH_LIKE],
    ['CRLF line breaks', BENCH_LIKE.replace(/\n/g, '\r\n')],
    ['compact sequences and quoted keys', 'kind: Pod\nspec:\n  containers:\n  - "name": a\n    "image": "nginx"\n'],
    ['empty values and flow empties', 'kind: Pod\nspec:\n  containers:\n  - name: a\n    image:\n    imagePullPolicy:   # set me\n    env: []\n    resources: {}\n'],
    ['YAML 1.1 scalars', 'a: yes\nb: off\nc: 0x1F\nd: 1:20\ne: 2024-01-02\nf: ~\ng: .inf\nh: 010\ni: 1_000\nj: "yes"\n'],
    ['document markers', '# lead\n--- # first\nkind: Pod\n---\n---\nkind: Service\n---\n'],
    ['nested sequences', 'a:\n- - x\n  - y\n-\n  - z\nb: 1\n'],
    ['single quotes with doubled quotes', "a: 'it''s'\n'b c': 'x # y'\n"],
  ];
  it.each(accepted)('%s', (_label, text) => {
    expect(fastParseYaml(text)).not.toBeNull();
    expectSameEverywhere(text);
  });

  it('reads the benchmark input', () => {
    const text = Array.from({ length: 5 }, () => BENCH_LIKE).join('---\n');
    expect(fastParseYaml(text)?.values).toHaveLength(5);
  });
});

describe('fast reader: inputs left to the full path (fallback triggers)', () => {
  const declined: Array<[string, string]> = [
    ['an anchor and an alias', 'a: &img nginx\nb: *img\n'],
    ['a merge key', 'base: &b {x: 1}\nc:\n  <<: *b\n'],
    ['a plain merge key without anchors', 'c:\n  <<: {}\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a local tag', 'a: !thing x\n'],
    ['a literal block scalar', 'a: |\n  line\n'],
    ['a folded block scalar', 'a: >-\n  line\n'],
    ['a multi-line plain scalar', 'a: one\n  two\n'],
    ['a multi-line quoted scalar', 'a: "one\n  two"\n'],
    ['a flow mapping', 'a: {b: 1}\n'],
    ['a flow sequence', 'a: [1, 2]\n'],
    ['a flow sequence as a container', 'spec:\n  containers: [{name: a, image: b}]\n'],
    ['an escape in double quotes', 'a: "x\\ty"\n'],
    ['an explicit key', '? a\n: b\n'],
    ['a directive', '%YAML 1.1\n---\na: 1\n'],
    ['a document end marker', 'a: 1\n...\n'],
    ['content on the document marker line', '--- a: 1\n'],
    ['a tab', 'a:\tb\n'],
    ['a tab in a comment', 'a: b # x\ty\n'],
    ['a byte order mark', '\uFEFFa: 1\n'],
    ['a lone carriage return', 'a: 1\rb: 2\n'],
    ['a control character', 'a: \u0001\n'],
    ['a NEL line break', 'a: 1\u0085b: 2\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a duplicate key, once quoted', 'a: 1\n"a": 2\n'],
    ['a non-string key', '1: a\n'],
    ['a boolean key (YAML 1.1)', 'on: push\n'],
    ['a null key', '~: a\n'],
    ['a __proto__ key', '__proto__: a\n'],
    ['a scalar document', 'just text\n'],
    ['a nested compact mapping (error)', 'a: b: c\n'],
    ['a value ending in a colon', 'a: b:\n'],
    ['a comment without a space (error)', 'a: "b"#c\n'],
    ['bad indentation', 'a:\n    b: 1\n  c: 2\n'],
    ['a sequence under a scalar value', 'a: 1\n  - b\n'],
    ['an unterminated quote', 'a: "b\n'],
    ['an alias as a value', 'a: *x\n'],
    ['a key longer than 1000 characters', `${'k'.repeat(1100)}: v\n`],
  ];
  it.each(declined)('%s', (_label, text) => {
    expect(fastParseYaml(text)).toBeNull();
    expectSameEverywhere(text);
  });

  it('edits a container written as an empty flow mapping through the full Documents', () => {
    const text = 'kind: Pod\nspec:\n  containers:\n  - {}\n  - name: b\n    image: nginx\n';
    expect(fastParseYaml(text)).not.toBeNull();
    expectSameEverywhere(text);
  });

  it('inserts after a block collection through the full Documents', () => {
    const text = 'kind: Pod\nspec:\n  containers:\n  - name: b\n    ports:\n    - containerPort: 80\n    # trailing\n\n---\nkind: Pod\n';
    expect(fastParseYaml(text)).not.toBeNull();
    expectSameEverywhere(text);
  });
});

describe('fast reader: tricky inputs agree with the full path', () => {
  const pod = (containers: string): string => `kind: Pod\nspec:\n  containers:\n${containers}`;
  const tricky: string[] = [
    pod('  - name: a\n    image  : nginx\n'),
    pod('  - image: nginx   \n    name: a\n'),
    '  kind: Pod\n  spec:\n    containers:\n    - image: nginx\n',
    pod('  -\n    image: nginx\n'),
    pod('  - image: nginx\n    imagePullPolicy:'),
    pod('  - image: nginx\n    imagePullPolicy: # c\n'),
    pod('  - image: nginx\n    imagePullPolicy:   # c\n'),
    pod("  - image: \"nginx\"\n    imagePullPolicy: ''\n"),
    pod('  - image: nginx\n# comment at column 0\n    imagePullPolicy: Never\n'),
    pod('  - image: nginx\n          # deep comment\n    name: x\n'),
    pod('  - image: nginx\n    imagePullPolicy:\n').replace(/\n/g, '\r\n'),
    pod('  - image: -weird\n    -key: v\n'),
    pod("  - image: 'nginx:1' # c\n"),
    pod('  - "image": nginx\n    "a b": 1\n'),
    pod('  - image: ngïnx😀\n    name: é\n'),
    pod('  - image: nginx\n  -   image: x\n      name: y\n'),
    pod('  - image: nginx\n      \n  - image: x\n'),
    '---   \nkind: Pod\n---\t\n',
    pod('  - image: x :y\n'),
    pod('  - image: "x":\n'),
    pod('  - a:b: c\n    image: x\n'),
    pod('  - # comment\n    image: a\n'),
    pod('  - env: # c\n    - name: a\n    image: a\n'),
    pod('  - image: a\n    env:\n      - name: x\n        value: "1"\n    # trailing comment\n'),
    pod('  - image: a\n   name: b\n'),
    pod('  - image: a\n    name: b\n   - x\n'),
    pod('  - image: [a]\n'),
    pod('  - image: {}\n'),
    pod('  - image: []  # none\n    name: b\n'),
    pod('  - image: {} x\n'),
    pod('  - name: b\n    image: # none\n      nginx\n'),
    pod('- image: a\n'),
    'kind: Pod\nspec:\n  containers:\n  - image: a\nspec: {}\n',
    'kind: Pod\nspec:\n  containers: []\n',
    'kind: Pod\nspec:\n  containers:\n',
    '- kind: Pod\n  spec:\n    containers:\n    - image: a\n- kind: Pod\n',
    'a:\n- b\n- c\nd: e\n',
    'a: 1\n- b\n',
    '# only comments\n',
    '',
    '---',
    'a: x\n--- # c\n# c\n...\n',
    'a: "it\'s"\nb: \'say "hi"\'\n',
    "a: 'x''\n",
    'a: 1 #c\nb: 2#c\n',
    'key with spaces: 1\n',
    'a: 9007199254740993\nb: 0o17\nc: +.5\nd: 1e400\ne: 0b\n',
    'a: 2001-12-14 21:59:43.10 -5\n',
  ];
  it.each(tricky.map((text) => [JSON.stringify(text).slice(0, 80), text]))('%s', (_label, text) => {
    expectSameEverywhere(text, [{ image: 'mirror/x:1', imagePullPolicy: 'Always' }, { image: "o'dd" }]);
  });
});

describe('fast reader: scalar resolution', () => {
  // The schema the full path resolves plain scalars with (yaml-fast.ts builds the same one): every tag that
  // can make a plain scalar something other than a string, keys included (the merge key `<<`).
  const nonStringTags = new Document(null, { version: '1.1', merge: true, uniqueKeys: true }).schema.tags.filter(
    (tag): tag is ScalarTag & { test: RegExp } => tag.test !== undefined && (tag.default === true || tag.default === 'key'),
  );
  const tagsMatching = (source: string): string[] => nonStringTags.filter((tag) => tag.test.test(source)).map((tag) => tag.tag);

  it('only plain scalars starting with NON_STRING_FIRST can be anything but a string', () => {
    // resolvePlain answers "string" for any other first character without asking the schema, so the
    // property is checked against the schema's own tests: none of them matches such a scalar.
    expect(nonStringTags.length).toBeGreaterThanOrEqual(8);
    const scalarLike = fc.constantFrom('e0', 'E5', 'yes', 'No', 'on', 'OFF', 'y', 'true', '~', 'null', '0b101', '017', '0x1f', '12', '1:30', '1.5', '.5', '-.inf', '.NaN', '1e3', '2001-12-14', '<<');
    const source = fc.oneof(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }),
      // a first character outside the set in front of (or instead of the first character of) what would resolve
      fc.tuple(fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }), scalarLike, fc.boolean()).map(([first, tail, replace]) => first + (replace ? tail.slice(1) : tail)),
    );
    fc.assert(
      fc.property(source, (text) => {
        fc.pre(!NON_STRING_FIRST.has(text[0]));
        expect(tagsMatching(text), text).toEqual([]);
        expect(resolvePlain(text, true)).toEqual({ value: text, string: true });
        expect(resolvePlain(text, false)).toEqual({ value: text, string: true });
      }),
      { numRuns: 2_000 },
    );
    const samples = ['e0', 'E5', 'yes', 'No', 'on', 'OFF', 'y', 'n', 'true', 'False', '~', 'null', '0b101', '017', '0x1f', '12', '-3', '+4', '1:30', '1.5', '.5', '-.inf', '.NaN', '1e3', '2001-12-14t21:59:43.10-05:00', '<<'];
    for (const sample of samples) expect(resolvePlain(sample, true).string).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------
// Generated manifests.

interface Style {
  step: number;
  compact: boolean;
  dashSpaces: string;
  comments: boolean;
  quoteKeys: 'plain' | 'double' | 'single' | 'mixed';
}

type YNode = { t: 'map'; entries: Array<[string, YNode]> } | { t: 'seq'; items: YNode[] } | { t: 's'; raw: string };

const scalar = (raw: string): YNode => ({ t: 's', raw });
const map = (...entries: Array<[string, YNode] | null>): YNode => ({ t: 'map', entries: entries.filter((entry): entry is [string, YNode] => entry !== null) });
const seq = (...items: YNode[]): YNode => ({ t: 'seq', items });

function emitKey(key: string, style: Style, salt: number): string {
  const mode = style.quoteKeys === 'mixed' ? (['plain', 'double', 'single'] as const)[salt % 3] : style.quoteKeys;
  if (mode === 'double') return JSON.stringify(key);
  if (mode === 'single') return `'${key}'`;
  return key;
}

function emit(node: YNode, indent: number, style: Style, out: string[], salt: { n: number }): void {
  const pad = ' '.repeat(indent);
  const comment = (): string => (style.comments && salt.n++ % 4 === 0 ? '  # note' : '');
  const fullLineComment = (at: number): void => {
    if (style.comments && salt.n++ % 5 === 0) out.push(`${' '.repeat(at)}# comment`);
  };
  if (node.t === 'map') {
    for (const [key, value] of node.entries) {
      fullLineComment(indent);
      const k = emitKey(key, style, salt.n++);
      if (value.t === 's') out.push(`${pad}${k}:${value.raw === '' ? '' : ` ${value.raw}`}${comment()}`);
      else if ((value.t === 'map' && value.entries.length === 0) || (value.t === 'seq' && value.items.length === 0)) {
        out.push(`${pad}${k}: ${value.t === 'map' ? '{}' : '[]'}${comment()}`);
      } else {
        out.push(`${pad}${k}:${comment()}`);
        emit(value, value.t === 'seq' && style.compact ? indent : indent + style.step, style, out, salt);
      }
    }
  } else if (node.t === 'seq') {
    for (const item of node.items) {
      fullLineComment(indent);
      const dash = `${pad}-${style.dashSpaces}`;
      if (item.t === 's') out.push(`${dash}${item.raw}${comment()}`);
      else if (item.t === 'map' && item.entries.length > 0) {
        const inner: string[] = [];
        emit(item, indent + 1 + style.dashSpaces.length, style, inner, salt);
        const first = inner.findIndex((line) => !line.trimStart().startsWith('#'));
        out.push(...inner.slice(0, first), dash + inner[first].trimStart(), ...inner.slice(first + 1));
      } else if (item.t === 'map' || item.t === 'seq') {
        if (item.t === 'seq' && item.items.length > 0) {
          out.push(`${pad}-${comment()}`);
          emit(item, indent + style.step, style, out, salt);
        } else out.push(`${dash}${item.t === 'map' ? '{}' : '[]'}`);
      }
    }
  } else {
    out.push(`${pad}${node.raw}`);
  }
}

const imageArb = fc.constantFrom(
  'nginx',
  'nginx:1.25',
  'nginx:latest',
  "'nginx:latest'",
  '"nginx:1.25"',
  `registry.example.com:5000/team/app@${DIGEST}`,
  `"app:latest@${DIGEST}"`,
  'Nginx:Bad',
  '""',
  '',
  '~',
  '8080',
  'ghcr.io/org/tool:v1 # pinned',
);
const policyArb = fc.constantFrom<string | null>(null, null, 'Always', 'IfNotPresent', 'Never', '"Never"', "'Always'", 'Bogus', '', 'yes');
const extraValueArb = fc.constantFrom<YNode>(
  scalar('8080'),
  scalar('yes'),
  scalar('"yes"'),
  scalar('0x1F'),
  scalar('1:20'),
  scalar('2024-01-02'),
  scalar('3.5'),
  scalar('-Xmx1g'),
  scalar('a,b]'),
  scalar("'it''s'"),
  scalar('http://example.com:8080/x'),
  scalar('value#hash'),
  map(),
  seq(),
  seq(scalar('--flag'), scalar('"quoted arg"')),
  map(['containerPort', scalar('80')], ['protocol', scalar('TCP')]),
  seq(map(['name', scalar('A')], ['value', scalar('"1"')]), map(['name', scalar('B')], ['value', scalar('')])),
);
/** Inputs the fast reader leaves to the full path, used now and then. */
const fallbackValueArb = fc.constantFrom<YNode>(
  scalar('&a anchored'),
  scalar('!!str 5'),
  scalar('{a: 1}'),
  scalar('[x, y]'),
  scalar('"esc\\"aped"'),
  scalar('|\n      block'),
);

const containerArb = fc
  .record({
    name: fc.constantFrom('app', 'sidecar', '"quoted"', ''),
    image: fc.option(imageArb, { nil: undefined, freq: 8 }),
    policy: policyArb,
    extras: fc.array(fc.tuple(fc.constantFrom('ports', 'env', 'args', 'workingDir', 'tty', 'resources'), extraValueArb), { maxLength: 3 }),
    fallback: fc.oneof({ arbitrary: fc.constant(undefined), weight: 20 }, { arbitrary: fallbackValueArb, weight: 1 }),
    order: fc.integer({ min: 0, max: 5 }),
  })
  .map(({ name, image, policy, extras, fallback, order }): YNode => {
    const entries: Array<[string, YNode]> = [];
    if (name !== '') entries.push(['name', scalar(name)]);
    if (image !== undefined) entries.push(['image', scalar(image)]);
    if (policy !== null) entries.push(['imagePullPolicy', scalar(policy)]);
    const seen = new Set<string>();
    for (const [key, value] of extras) {
      if (seen.has(key)) continue;
      seen.add(key);
      entries.push([key, value]);
    }
    if (fallback !== undefined) entries.push(['command', fallback]);
    // Rotate the field order.
    const rotated = entries.length === 0 ? entries : [...entries.slice(order % entries.length), ...entries.slice(0, order % entries.length)];
    return rotated.length === 0 ? map() : { t: 'map', entries: rotated };
  });

const podSpecArb = fc
  .record({
    containers: fc.array(containerArb, { minLength: 0, maxLength: 3 }),
    init: fc.array(containerArb, { maxLength: 1 }),
    sa: fc.boolean(),
  })
  .map(({ containers, init, sa }) =>
    map(
      sa ? ['serviceAccountName', scalar('robot')] : null,
      init.length > 0 ? ['initContainers', seq(...init)] : null,
      ['containers', seq(...containers)],
    ),
  );

const objectArb = fc
  .record({
    kind: fc.constantFrom('Pod', 'Deployment', 'CronJob', 'PodTemplate', 'Job', 'ConfigMap', 'Service'),
    name: fc.constantFrom('web', '"api"', "'db'"),
    namespace: fc.option(fc.constantFrom('prod', 'default'), { nil: undefined }),
    spec: podSpecArb,
  })
  .map(({ kind, name, namespace, spec }) => {
    const apiVersions: Record<string, string> = { Pod: 'v1', PodTemplate: 'v1', Job: 'batch/v1', CronJob: 'batch/v1', ConfigMap: 'v1', Service: 'v1' };
    const apiVersion = apiVersions[kind] ?? 'apps/v1';
    const metadata = map(['name', scalar(name)], namespace === undefined ? null : ['namespace', scalar(namespace)], ['labels', map(['app', scalar('x')])]);
    const head: Array<[string, YNode]> = [
      ['apiVersion', scalar(apiVersion)],
      ['kind', scalar(kind)],
      ['metadata', metadata],
    ];
    switch (kind) {
      case 'Pod':
        return map(...head, ['spec', spec]);
      case 'PodTemplate':
        return map(...head, ['template', map(['spec', spec])]);
      case 'CronJob':
        return map(...head, ['spec', map(['schedule', scalar('"* * * * *"')], ['jobTemplate', map(['spec', map(['template', map(['spec', spec])])])])]);
      case 'ConfigMap':
        return map(...head, ['data', map(['key', scalar('value')], ['"other"', scalar('1')])]);
      case 'Service':
        return map(...head, ['spec', map(['ports', seq(map(['port', scalar('80')]))])]);
      default:
        return map(...head, ['spec', map(['replicas', scalar('2')], ['template', map(['metadata', map(['labels', map(['app', scalar('x')])])], ['spec', spec])])]);
    }
  });

const styleArb = fc.record<Style>({
  step: fc.constantFrom(2, 4, 3),
  compact: fc.boolean(),
  dashSpaces: fc.constantFrom(' ', ' ', '   '),
  comments: fc.boolean(),
  quoteKeys: fc.constantFrom('plain', 'plain', 'double', 'single', 'mixed'),
});

const streamArb = fc
  .record({
    objects: fc.array(fc.tuple(objectArb, styleArb), { minLength: 1, maxLength: 4 }),
    list: fc.boolean(),
    leadingMarker: fc.boolean(),
    trailingMarker: fc.boolean(),
    markerComment: fc.boolean(),
    crlf: fc.boolean(),
    finalNewline: fc.boolean(),
    indentRoot: fc.constantFrom(0, 0, 0, 2),
  })
  .map(({ objects, list, leadingMarker, trailingMarker, markerComment, crlf, finalNewline, indentRoot }) => {
    const marker = markerComment ? '--- # next' : '---';
    let documents: string[];
    if (list) {
      const out: string[] = [];
      const style = objects[0][1];
      emit(map(['apiVersion', scalar('v1')], ['kind', scalar('List')], ['items', seq(...objects.map(([object]) => object))]), indentRoot, style, out, { n: 0 });
      documents = [out.join('\n')];
    } else {
      documents = objects.map(([object, style], index) => {
        const out: string[] = [];
        emit(object, indentRoot, style, out, { n: index });
        return out.join('\n');
      });
    }
    let text = (leadingMarker ? `# header\n${marker}\n` : '') + documents.join(`\n${marker}\n`) + (trailingMarker ? `\n${marker}` : '');
    if (finalNewline) text += '\n';
    return crlf ? text.replace(/\n/g, '\r\n') : text;
  });

const changesArb = fc.array(
  fc.option(
    fc.record({
      image: fc.option(fc.constantFrom('mirror.example.com/nginx:1.25', 'it\'s "odd"', `app@${DIGEST}`), { nil: undefined }),
      imagePullPolicy: fc.option(fc.constantFrom('Always' as const, 'Never' as const), { nil: undefined }),
    }),
    { nil: undefined },
  ),
  { maxLength: 12 },
);

describe('fast reader against the full Document path (generated manifests)', () => {
  it('gives the same values, edited text, reports and errors', () => {
    let fastRead = 0;
    let runs = 0;
    fc.assert(
      fc.property(streamArb, changesArb, (text, changes) => {
        runs++;
        if (fastParseYaml(text) !== null) fastRead++;
        expectSameEverywhere(text, changes as Array<ContainerChange | undefined>);
      }),
      { numRuns: RUNS },
    );
    if (process.env.FAST_YAML_RUNS !== undefined) console.log(`fast reader read ${fastRead} of ${runs}`);
    // The generator mostly writes what the fast reader reads (or the comparison would prove little).
    expect(fastRead / runs).toBeGreaterThan(0.5);
  });

  it('agrees on damaged manifests too (or leaves them to the full path)', () => {
    const damage = fc.constantFrom(': ', ':', '#', ' #', '- ', '-', "'", '"', ' ', '  ', '\n', '\n  ', '{', '}', '[', ']', '&a ', '*a', '!', '|', '>', '?', '%', '---', '\t', '\r', 'yes', '~', '<<: ');
    fc.assert(
      fc.property(streamArb, fc.array(fc.tuple(fc.nat(), damage), { minLength: 1, maxLength: 3 }), changesArb, (text, cuts, changes) => {
        let damaged = text;
        for (const [at, piece] of cuts) {
          const position = at % (damaged.length + 1);
          damaged = damaged.slice(0, position) + piece + damaged.slice(position);
        }
        expectSameEverywhere(damaged, changes as Array<ContainerChange | undefined>);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
