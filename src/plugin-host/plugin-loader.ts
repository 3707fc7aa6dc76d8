/**
 * Loads the rule plugins at start: finds the modules in PLUGINS_DIR, imports them (CommonJS and ES
 * modules, top-level await included, through Node's own `import()`), checks their shape and API version,
 * applies the plugins config, validates options and calls `setup`.
 *
 * Every problem names the plugin and the cause. A problem with a plugin stops the start
 * (PluginLoadError lists all of them at once) unless the config marks the plugin `optional: true`: then
 * the plugin is reported as failed and skipped. Disabled plugins are imported for the listing but never
 * set up or run; a disabled plugin that does not load is reported, not fatal.
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { deepFreeze } from '../common/deep-freeze.js';
import { errorText } from '../common/error-text.js';
import { withTimeout } from '../common/with-timeout.js';
import { parseReference } from '../reference/parse.js';
import {
  PLUGIN_API_VERSION,
  PLUGIN_OPERATIONS,
  type Plugin,
  type PluginContext,
  type PluginDigestAnswer,
  type PluginLogger,
  type PluginOperation,
  type ResolveDigestOptions,
} from './plugin-api.js';
import type { PluginDigestLookup } from './plugin-digest-lookup.port.js';
import { DEFAULT_ORDER, type FailurePolicy, PLUGIN_NAME, type PluginConfigEntry, type PluginsConfig, readPluginsConfig } from './plugins-config.js';

export type PluginStatus = 'active' | 'failed' | 'disabled';

/** One plugin as GET /v1/plugins and GraphQL `plugins` show it. */
export interface PluginInfo {
  name: string;
  version: string | null;
  description: string | null;
  /** The module's path relative to PLUGINS_DIR (`no-latest.js`, `my-rules/index.js`); null when not found. */
  source: string | null;
  enabled: boolean;
  optional: boolean;
  order: number;
  failurePolicy: FailurePolicy;
  timeoutMs: number;
  operations: PluginOperation[];
  status: PluginStatus;
  error?: string;
  /** The options from the config, secrets replaced by `[redacted]`. */
  options: Record<string, unknown>;
  apiVersion: string | null;
}

/** A plugin that was set up and runs. */
export interface ActivePlugin {
  name: string;
  order: number;
  failurePolicy: FailurePolicy;
  timeoutMs: number;
  operations: readonly PluginOperation[];
  plugin: Plugin;
  ctx: PluginContext;
}

export interface LoadedPlugins {
  /** Every plugin found or listed, sorted by order then name (active, failed and disabled). */
  plugins: PluginInfo[];
  /** The plugins that run, in run order. */
  active: ActivePlugin[];
  dir: string;
  config: PluginsConfig;
}

export interface PluginLoadFailure {
  name: string;
  source: string | null;
  message: string;
}

export class PluginLoadError extends Error {
  constructor(readonly failures: PluginLoadFailure[]) {
    super(
      failures.length === 1
        ? `Plugin failed to load: ${describeFailure(failures[0])}`
        : `${failures.length} plugins failed to load: ${failures.map(describeFailure).join('; ')}`,
    );
    this.name = 'PluginLoadError';
  }
}

function describeFailure(failure: PluginLoadFailure): string {
  return `plugin "${failure.name}"${failure.source ? ` (${failure.source})` : ''}: ${failure.message}`;
}

/** The part of a pino logger the host uses. */
export interface HostLogger extends PluginLogger {
  child(bindings: Record<string, unknown>): HostLogger;
}

export interface LoadPluginsOptions {
  /** PLUGINS_DIR (relative to the working directory, or absolute). */
  dir: string;
  /** PLUGINS_CONFIG. */
  configFile: string;
  logger?: HostLogger;
  /** The guarded digest lookup; without it `ctx.resolveDigest` rejects. */
  digestLookup?: PluginDigestLookup | null;
  /** How modules are imported (tests swap it); default Node's `import()`. */
  importModule?: (url: string) => Promise<unknown>;
  /** Longest a `setup` may take. */
  setupTimeoutMs?: number;
}

const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);
const INDEX_FILES = ['index.js', 'index.mjs', 'index.cjs'];
const DEFAULT_SETUP_TIMEOUT_MS = 10_000;
const API_VERSION = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?$/;
const SECRET_KEY = /pass(word|phrase)?|secret|token|credential|private|api[-_]?key|auth/i;

const nativeImport = (url: string): Promise<unknown> => import(url);

const silentLogger: HostLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

interface Candidate {
  /** File or folder name without extension: the expected plugin name. */
  stem: string;
  file: string;
  source: string;
}

type Imported = { candidate: Candidate; plugin: Plugin; schema: ValidateFunction | null } | { candidate: Candidate; error: string };

/** Finds plugin modules: `.js`, `.mjs`, `.cjs` files and folders with an index file; sorted by name. */
export async function discoverPlugins(dir: string): Promise<Candidate[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`Plugins folder ${dir} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const candidates: Candidate[] = [];
  for (const entry of entries) {
    const name = entry.name;
    // Hidden files, dependencies and test files are never plugins.
    if (name.startsWith('.') || name.startsWith('_') || name === 'node_modules' || /\.(spec|test)\.[cm]?js$/.test(name)) continue;
    const path = join(dir, name);
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(path).catch(() => null);
      isDirectory = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (isFile && MODULE_EXTENSIONS.has(extname(name))) {
      candidates.push({ stem: basename(name, extname(name)), file: path, source: name });
    } else if (isDirectory) {
      for (const index of INDEX_FILES) {
        const file = join(path, index);
        if ((await stat(file).catch(() => null))?.isFile()) {
          candidates.push({ stem: name, file, source: `${name}/${index}` });
          break;
        }
      }
    }
  }
  return candidates.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}

/** Loads, configures and sets up every plugin; throws PluginLoadError when a non-optional plugin fails. */
export async function loadPlugins(options: LoadPluginsOptions): Promise<LoadedPlugins> {
  const dir = resolve(options.dir);
  const logger = options.logger ?? silentLogger;
  const config = await readPluginsConfig(resolve(options.configFile));
  const importModule = options.importModule ?? nativeImport;

  const imported: Imported[] = [];
  for (const candidate of await discoverPlugins(dir)) imported.push(await importCandidate(candidate, importModule));

  // Group by the declared name (or, for modules that did not load, the file name).
  const byName = new Map<string, Imported[]>();
  for (const item of imported) {
    const name = 'plugin' in item ? item.plugin.name : item.candidate.stem;
    byName.set(name, [...(byName.get(name) ?? []), item]);
  }
  for (const name of config.entries.keys()) if (!byName.has(name)) byName.set(name, []);

  const infos: PluginInfo[] = [];
  const failures: PluginLoadFailure[] = [];
  const pending: { info: PluginInfo; plugin: Plugin; schema: ValidateFunction | null; entry: PluginConfigEntry | undefined }[] = [];

  for (const [name, items] of byName) {
    const entry = config.entries.get(name);
    const info = baseInfo(name, entry, config);
    infos.push(info);
    const fail = (source: string | null, message: string): void => {
      info.error = message;
      if (!info.enabled) return; // a disabled plugin's problem is reported, never fatal
      info.status = 'failed';
      if (info.optional) logger.warn({ plugin: name, source, problem: message }, `optional plugin "${name}" failed and is skipped`);
      else failures.push({ name, source, message });
    };
    if (items.length === 0) {
      fail(null, `listed in ${config.file} but not found in ${dir}`);
      continue;
    }
    info.source = items.map((item) => item.candidate.source).join(', ');
    if (items.length > 1) {
      fail(info.source, `duplicate plugin name: declared by ${items.map((item) => item.candidate.source).join(' and ')}`);
      continue;
    }
    const item = items[0];
    if ('error' in item) {
      fail(info.source, item.error);
      continue;
    }
    const plugin = item.plugin;
    info.version = plugin.version ?? null;
    info.description = plugin.description ?? null;
    info.apiVersion = plugin.apiVersion ?? null;
    info.options = redact(entry?.options ?? {}, plugin.secretOptions ?? []);
    if (!info.enabled) continue;
    const problems = optionProblems(plugin, item.schema, entry?.options ?? {});
    if (problems.length > 0) {
      fail(info.source, `invalid options: ${problems.join('; ')}`);
      continue;
    }
    pending.push({ info, plugin, schema: item.schema, entry });
  }

  // Set up in run order, one at a time: a plugin's setup may rely on nothing else running.
  pending.sort((a, b) => compareInfo(a.info, b.info));
  const active: ActivePlugin[] = [];
  for (const { info, plugin, entry } of pending) {
    const pluginOptions = deepFreeze(structuredClone(entry?.options ?? {}));
    const ctx = createContext(info, pluginOptions, logger.child({ plugin: info.name }), options.digestLookup ?? null);
    try {
      await withTimeout(Promise.resolve().then(() => plugin.setup?.(pluginOptions, ctx)), options.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS, 'setup');
    } catch (error) {
      info.error = `setup failed: ${errorText(error)}`;
      info.status = 'failed';
      if (info.optional) logger.warn({ plugin: info.name, problem: info.error }, `optional plugin "${info.name}" failed and is skipped`);
      else failures.push({ name: info.name, source: info.source, message: info.error });
      continue;
    }
    info.status = 'active';
    active.push({ name: info.name, order: info.order, failurePolicy: info.failurePolicy, timeoutMs: info.timeoutMs, operations: info.operations, plugin, ctx });
  }

  if (failures.length > 0) {
    await closePlugins(active, logger);
    throw new PluginLoadError(failures);
  }
  infos.sort(compareInfo);
  for (const info of infos) {
    if (info.status === 'active') logger.info({ plugin: info.name, version: info.version, source: info.source, order: info.order }, `plugin "${info.name}" active`);
  }
  return { plugins: infos, active, dir, config };
}

/** Calls every plugin's `close`, logging (not throwing) failures. */
export async function closePlugins(active: readonly ActivePlugin[], logger: HostLogger = silentLogger): Promise<void> {
  for (const { name, plugin } of active) {
    try {
      await plugin.close?.();
    } catch (error) {
      logger.warn({ plugin: name, problem: errorText(error) }, `plugin "${name}" failed to close`);
    }
  }
}

function baseInfo(name: string, entry: PluginConfigEntry | undefined, config: PluginsConfig): PluginInfo {
  return {
    name,
    version: null,
    description: null,
    source: null,
    enabled: entry?.enabled ?? true,
    optional: entry?.optional ?? false,
    order: entry?.order ?? DEFAULT_ORDER,
    failurePolicy: entry?.failurePolicy ?? config.defaults.failurePolicy,
    timeoutMs: entry?.timeoutMs ?? config.defaults.timeoutMs,
    operations: entry?.operations ?? [...PLUGIN_OPERATIONS],
    status: entry?.enabled === false ? 'disabled' : 'failed',
    options: redact(entry?.options ?? {}, []),
    apiVersion: null,
  };
}

function compareInfo(a: { order: number; name: string }, b: { order: number; name: string }): number {
  return a.order - b.order || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

async function importCandidate(candidate: Candidate, importModule: (url: string) => Promise<unknown>): Promise<Imported> {
  let loaded: unknown;
  try {
    loaded = await importModule(pathToFileURL(candidate.file).href);
  } catch (error) {
    const where = error instanceof SyntaxError ? await syntaxErrorLocation(candidate.file) : frameIn(error, candidate.file);
    return { candidate, error: `failed to load: ${errorText(error, true)}${where ? ` (at ${relativeLocation(where, candidate)})` : ''}` };
  }
  const plugin = pluginExport(loaded);
  if (plugin === null) {
    return { candidate, error: 'the module exports no plugin: expected a default export (or module.exports) with a name and an evaluate function' };
  }
  const problem = shapeProblem(plugin);
  if (problem !== null) {
    const name = typeof plugin.name === 'string' && PLUGIN_NAME.test(plugin.name) ? plugin.name : null;
    return name === null ? { candidate, error: problem } : { candidate: { ...candidate, stem: name }, error: problem };
  }
  let schema: ValidateFunction | null = null;
  if (plugin.optionsSchema !== undefined) {
    try {
      schema = ajv.compile(plugin.optionsSchema as object);
    } catch (error) {
      return { candidate: { ...candidate, stem: plugin.name as string }, error: `optionsSchema is not a valid JSON Schema: ${errorText(error)}` };
    }
  }
  return { candidate, plugin: plugin as unknown as Plugin, schema };
}

/** The plugin object of a module namespace: its default export, module.exports, or its named exports. */
function pluginExport(loaded: unknown): Record<string, unknown> | null {
  if (loaded === null || typeof loaded !== 'object') return null;
  const namespace = loaded as Record<string, unknown>;
  let candidate: unknown = namespace.default;
  // TypeScript compiled to CommonJS: module.exports = { __esModule: true, default: plugin }.
  const inner = candidate as Record<string, unknown> | null | undefined;
  if (inner && typeof inner === 'object' && inner.__esModule === true && inner.default && typeof inner.default === 'object') candidate = inner.default;
  if (candidate && typeof candidate === 'object') return candidate as Record<string, unknown>;
  if (typeof namespace.evaluate === 'function') return { ...namespace };
  return null;
}

function shapeProblem(plugin: Record<string, unknown>): string | null {
  const { name } = plugin;
  if (typeof name !== 'string' || name === '') return 'invalid plugin: name is missing (a string matching [a-z0-9-]+)';
  if (!PLUGIN_NAME.test(name)) return `invalid plugin: name "${name}" must match [a-z0-9-]+`;
  if (typeof plugin.evaluate !== 'function') return 'invalid plugin: evaluate must be a function';
  for (const key of ['setup', 'validateOptions', 'close'] as const) {
    if (plugin[key] !== undefined && typeof plugin[key] !== 'function') return `invalid plugin: ${key} must be a function`;
  }
  for (const key of ['version', 'description'] as const) {
    if (plugin[key] !== undefined && typeof plugin[key] !== 'string') return `invalid plugin: ${key} must be a string`;
  }
  if (plugin.optionsSchema !== undefined && (plugin.optionsSchema === null || typeof plugin.optionsSchema !== 'object')) {
    return 'invalid plugin: optionsSchema must be a JSON Schema object';
  }
  if (plugin.secretOptions !== undefined && !(Array.isArray(plugin.secretOptions) && plugin.secretOptions.every((key) => typeof key === 'string'))) {
    return 'invalid plugin: secretOptions must be a list of option names';
  }
  if (plugin.apiVersion !== undefined) return apiVersionProblem(plugin.apiVersion);
  return null;
}

/** A plugin written for API x.y runs on a host x.z with z >= y. */
export function apiVersionProblem(declared: unknown): string | null {
  const host = API_VERSION.exec(PLUGIN_API_VERSION) as RegExpExecArray;
  const match = typeof declared === 'string' ? API_VERSION.exec(declared) : null;
  if (match === null) return `invalid plugin: apiVersion must look like "1" or "1.0", got ${JSON.stringify(declared)}`;
  if (match[1] !== host[1] || Number(match[2] ?? 0) > Number(host[2])) {
    return `incompatible plugin API: the plugin needs ${declared}, this service provides ${PLUGIN_API_VERSION}`;
  }
  return null;
}

const ajv = new Ajv({ allErrors: true, strict: false });

function optionProblems(plugin: Plugin, schema: ValidateFunction | null, options: Record<string, unknown>): string[] {
  if (schema !== null && !schema(options)) {
    return (schema.errors ?? []).map((error) => `options${error.instancePath.replace(/\//g, '.')} ${error.message ?? 'is not valid'}`);
  }
  if (plugin.validateOptions === undefined) return [];
  try {
    const answer = plugin.validateOptions(structuredClone(options));
    if (answer === undefined || answer === null || (answer as unknown) === true) return [];
    if (typeof answer === 'string') return [answer];
    if (Array.isArray(answer)) return answer.map(String);
    return ['validateOptions returned something other than nothing, a message or a list of messages'];
  } catch (error) {
    return [errorText(error)];
  }
}

function createContext(info: PluginInfo, options: Record<string, unknown>, logger: HostLogger, lookup: PluginDigestLookup | null): PluginContext {
  const timeoutMs = info.timeoutMs;
  return Object.freeze({
    name: info.name,
    apiVersion: PLUGIN_API_VERSION,
    options,
    logger,
    parseReference,
    async resolveDigest(image: string, resolveOptions: ResolveDigestOptions = {}): Promise<PluginDigestAnswer> {
      if (typeof image !== 'string') throw new TypeError('resolveDigest: image must be a string');
      if (lookup === null) throw new Error('resolveDigest: the digest lookup is not available in this service');
      const answer = await lookup.resolve(image, {
        ...(typeof resolveOptions.platform === 'string' ? { platform: resolveOptions.platform } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { ...answer };
    },
  });
}

/** Replaces the values of secret-looking keys (and the plugin's secretOptions) with `[redacted]`. */
export function redact(options: Record<string, unknown>, secretKeys: readonly string[]): Record<string, unknown> {
  const walk = (value: unknown, depth: number): unknown => {
    if (depth > 20 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1));
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, SECRET_KEY.test(key) ? '[redacted]' : walk(item, depth + 1)]),
    );
  };
  const copy = walk(options, 0) as Record<string, unknown>;
  for (const key of secretKeys) if (key in copy) copy[key] = '[redacted]';
  return copy;
}

/** The first stack frame inside the plugin's file (`/abs/file.js:12:5`). */
function frameIn(error: unknown, file: string): string | null {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const url = pathToFileURL(file).href;
  for (const line of stack.split('\n')) {
    const match = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (match && (match[1] === url || match[1] === file)) return `${file}:${match[2]}:${match[3]}`;
  }
  return null;
}

/**
 * Node does not put the location of an ES module's syntax error in the error object; `node --check`
 * prints it. Only run on the failure path.
 */
function syntaxErrorLocation(file: string): Promise<string | null> {
  return new Promise((done) => {
    execFile(process.execPath, ['--check', file], { timeout: 5_000 }, (_error, _stdout, stderr) => {
      const line = stderr.split('\n').find((text) => text.startsWith(file + ':') || text.startsWith(pathToFileURL(file).href + ':'));
      done(line ? line.replace(pathToFileURL(file).href, file).trim() : null);
    });
  });
}

function relativeLocation(location: string, candidate: Candidate): string {
  const base = candidate.file.slice(0, candidate.file.length - candidate.source.length);
  return location.startsWith(base) ? location.slice(base.length).split(sep).join('/') : location;
}

