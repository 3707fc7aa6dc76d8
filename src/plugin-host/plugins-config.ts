/**
 * The plugins config file (PLUGINS_CONFIG, default `<PLUGINS_DIR>/plugins.yaml`):
 *
 * ```yaml
 * defaults:                  # optional: defaults for every plugin (listed or not)
 *   failurePolicy: Fail
 *   timeoutMs: 1000
 * plugins:
 *   - name: no-latest        # the plugin's name
 *     enabled: true          # default true
 *     optional: false        # default false: a failure to load stops the start
 *     order: 10              # lower runs first; ties by name; default 100
 *     failurePolicy: Fail    # Fail | Ignore: what a throw, rejection or timeout means; default Fail
 *     timeoutMs: 100         # default 1000
 *     operations: [decision] # where the plugin is asked; default all (decision, default, manifest, admission)
 *     options: { namespaces: [prod] }
 * ```
 *
 * A missing file means defaults. A file that does not parse, or an entry that is not valid, is an error
 * naming the file, line and column. Unknown keys are errors too (a typo must not silently change a rule).
 */
import { readFile } from 'node:fs/promises';
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { PLUGIN_OPERATIONS, type PluginOperation } from './plugin-api.js';

export const FAILURE_POLICIES = ['Fail', 'Ignore'] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

export const DEFAULT_ORDER = 100;
export const DEFAULT_TIMEOUT_MS = 1_000;
export const DEFAULT_FAILURE_POLICY: FailurePolicy = 'Fail';
export const MAX_TIMEOUT_MS = 60_000;
export const PLUGIN_NAME = /^[a-z0-9-]+$/;

/** One entry of the config, as written (absent keys stay absent). */
export interface PluginConfigEntry {
  name: string;
  enabled?: boolean;
  optional?: boolean;
  order?: number;
  failurePolicy?: FailurePolicy;
  timeoutMs?: number;
  operations?: PluginOperation[];
  options?: Record<string, unknown>;
  /** `file:line:column` of the entry, for messages. */
  where: string;
}

export interface PluginsConfig {
  /** Absolute path of the file. */
  file: string;
  found: boolean;
  defaults: { failurePolicy: FailurePolicy; timeoutMs: number };
  entries: Map<string, PluginConfigEntry>;
}

export class PluginsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginsConfigError';
  }
}

const ENTRY_KEYS = new Set(['name', 'enabled', 'optional', 'order', 'failurePolicy', 'timeoutMs', 'operations', 'options']);
const DEFAULT_KEYS = new Set(['failurePolicy', 'timeoutMs']);
const TOP_KEYS = new Set(['plugins', 'defaults']);

/** Reads and checks the config; a missing file gives the defaults. */
export async function readPluginsConfig(file: string): Promise<PluginsConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { file, found: false, defaults: { failurePolicy: DEFAULT_FAILURE_POLICY, timeoutMs: DEFAULT_TIMEOUT_MS }, entries: new Map() };
    }
    throw new PluginsConfigError(`Plugins config ${file} cannot be read: ${(error as Error).message}`);
  }
  return parsePluginsConfig(text, file);
}

/** Parses config text; `file` is only used in messages. */
export function parsePluginsConfig(text: string, file: string): PluginsConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    const pos = error.linePos?.[0] ?? (Array.isArray(error.pos) ? lines.linePos(error.pos[0]) : undefined);
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    throw new PluginsConfigError(`Plugins config ${where}: ${firstLine(error.message)}`);
  }
  const at = (node: unknown): string => {
    const range = (node as Node | null)?.range;
    if (!range) return file;
    const pos = lines.linePos(range[0]);
    return `${file}:${pos.line}:${pos.col}`;
  };
  const fail = (node: unknown, message: string): never => {
    throw new PluginsConfigError(`Plugins config ${at(node)}: ${message}`);
  };

  const config: PluginsConfig = {
    file,
    found: true,
    defaults: { failurePolicy: DEFAULT_FAILURE_POLICY, timeoutMs: DEFAULT_TIMEOUT_MS },
    entries: new Map(),
  };
  const root = doc.contents;
  if (root === null || (root as { value?: unknown }).value === null) return config; // empty file
  if (!isMap(root)) return fail(root, 'the file must be a mapping with a "plugins" list');
  for (const pair of root.items) {
    const key = String((pair.key as { value?: unknown } | null)?.value ?? pair.key);
    if (!TOP_KEYS.has(key)) fail(pair.key, `unknown key "${key}" (expected plugins, defaults)`);
  }

  const defaultsNode = root.get('defaults', true);
  if (defaultsNode !== undefined && (defaultsNode as { value?: unknown }).value !== null) {
    if (!isMap(defaultsNode)) fail(defaultsNode, 'defaults must be a mapping');
    const defaults = (defaultsNode as unknown as { toJSON(): Record<string, unknown> }).toJSON();
    for (const key of Object.keys(defaults)) {
      if (!DEFAULT_KEYS.has(key)) fail(defaultsNode, `defaults: unknown key "${key}" (expected failurePolicy, timeoutMs)`);
    }
    if (defaults.failurePolicy !== undefined) config.defaults.failurePolicy = checkFailurePolicy(defaults.failurePolicy, (m) => fail(defaultsNode, `defaults: ${m}`));
    if (defaults.timeoutMs !== undefined) config.defaults.timeoutMs = checkTimeout(defaults.timeoutMs, (m) => fail(defaultsNode, `defaults: ${m}`));
  }

  const list = root.get('plugins', true);
  if (list === undefined || (list as { value?: unknown }).value === null) return config;
  if (!isSeq(list)) return fail(list, 'plugins must be a list of entries');
  list.items.forEach((item, index) => {
    const where = at(item);
    const label = `plugins[${index}]`;
    if (!isMap(item)) fail(item, `${label} must be a mapping with at least a name`);
    const node = item as unknown as { get(key: string, keepNode: true): unknown; toJSON(): Record<string, unknown>; items: { key: unknown }[] };
    const raw = node.toJSON();
    const problem = (key: string, message: string): never => fail(node.get(key, true) ?? item, `${label}${typeof raw.name === 'string' ? ` (${raw.name})` : ''}: ${message}`);
    for (const pair of node.items) {
      const key = String((pair.key as { value?: unknown } | null)?.value ?? pair.key);
      if (!ENTRY_KEYS.has(key)) fail(pair.key, `${label}: unknown key "${key}" (expected ${[...ENTRY_KEYS].join(', ')})`);
    }
    if (typeof raw.name !== 'string' || raw.name === '') return problem('name', 'name is required');
    if (!PLUGIN_NAME.test(raw.name)) problem('name', `name "${raw.name}" must match [a-z0-9-]+`);
    if (config.entries.has(raw.name)) problem('name', `plugin "${raw.name}" is listed twice (first at ${config.entries.get(raw.name)?.where})`);
    const entry: PluginConfigEntry = { name: raw.name, where };
    for (const key of ['enabled', 'optional'] as const) {
      if (raw[key] === undefined || raw[key] === null) continue;
      if (typeof raw[key] !== 'boolean') problem(key, `${key} must be true or false`);
      entry[key] = raw[key] as boolean;
    }
    if (raw.order !== undefined && raw.order !== null) {
      if (typeof raw.order !== 'number' || !Number.isInteger(raw.order) || Math.abs(raw.order) > 1_000_000) problem('order', 'order must be a whole number');
      entry.order = raw.order as number;
    }
    if (raw.failurePolicy !== undefined && raw.failurePolicy !== null) entry.failurePolicy = checkFailurePolicy(raw.failurePolicy, (m) => problem('failurePolicy', m));
    if (raw.timeoutMs !== undefined && raw.timeoutMs !== null) entry.timeoutMs = checkTimeout(raw.timeoutMs, (m) => problem('timeoutMs', m));
    if (raw.operations !== undefined && raw.operations !== null) {
      const operations = raw.operations;
      if (!Array.isArray(operations) || operations.length === 0 || !operations.every((op) => PLUGIN_OPERATIONS.includes(op as PluginOperation))) {
        problem('operations', `operations must be a non-empty list of ${PLUGIN_OPERATIONS.join(', ')}`);
      }
      entry.operations = [...new Set(operations as PluginOperation[])];
    }
    if (raw.options !== undefined && raw.options !== null) {
      if (typeof raw.options !== 'object' || Array.isArray(raw.options)) problem('options', 'options must be a mapping');
      entry.options = raw.options as Record<string, unknown>;
    }
    config.entries.set(entry.name, entry);
  });
  return config;
}

function checkFailurePolicy(value: unknown, fail: (message: string) => never): FailurePolicy {
  if (!(FAILURE_POLICIES as readonly unknown[]).includes(value)) fail(`failurePolicy must be ${FAILURE_POLICIES.join(' or ')}, got ${JSON.stringify(value)}`);
  return value as FailurePolicy;
}

function checkTimeout(value: unknown, fail: (message: string) => never): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_MS) {
    fail(`timeoutMs must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function firstLine(message: string): string {
  // yaml's messages end with " at line L, column C" plus a code excerpt; the location is given separately.
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
