/**
 * The public plugin API: what a rule plugin exports and what the host hands it. Plugin authors get the
 * same types from `packages/plugin-api` (index.d.ts); plugin-api.spec.ts keeps the two in step.
 *
 * A plugin is a JavaScript module in PLUGINS_DIR whose default export (or `module.exports`) is a Plugin.
 * Contract: ../shared/spec/service-design.md, section Plugins.
 */
import type { PluginRequestContext, PluginVerdict } from '../common/plugin-run.js';
import type { ParsedReference, PullPolicy } from '../reference/parsed-reference.js';

export type { ParsedReference, PullPolicy };

/**
 * The plugin API version this service provides. A plugin may declare the version it was written for
 * (`apiVersion: '1'` or `'1.0'`); a different major, or a newer minor than the host's, is a load error.
 */
export const PLUGIN_API_VERSION = '1.0.0';

/** Where the service asks the plugins: pull decisions, policy defaulting, manifest defaulting, admission. */
export type PluginOperation = 'decision' | 'default' | 'manifest' | 'admission';
export const PLUGIN_OPERATIONS: readonly PluginOperation[] = ['decision', 'default', 'manifest', 'admission'];

export type { PluginRequestContext, PluginVerdict };

/** One question to a plugin: an image (already parsed) and its pull policy, in a context. */
export interface PluginInput {
  /** The image as parsed by the service (after the mutations of the plugins that ran before). */
  readonly image: Readonly<ParsedReference>;
  /** The policy in force (given or defaulted; after earlier plugins' mutations). */
  readonly imagePullPolicy: PullPolicy;
  readonly context: Readonly<PluginRequestContext>;
  readonly operation: PluginOperation;
}

/** A change a plugin asks for; it applies to the following plugins and to the final answer. */
export interface PluginMutation {
  /** A new image reference; it must parse (otherwise the plugin counts as failed). */
  image?: string;
  imagePullPolicy?: PullPolicy;
}

export interface PluginResult {
  verdict: PluginVerdict;
  message?: string;
  mutate?: PluginMutation;
}

/** A logger scoped to the plugin (pino-style: a message, or an object of fields then a message). */
export interface PluginLogger {
  debug(message: string): void;
  debug(fields: object, message?: string): void;
  info(message: string): void;
  info(fields: object, message?: string): void;
  warn(message: string): void;
  warn(fields: object, message?: string): void;
  error(message: string): void;
  error(fields: object, message?: string): void;
}

export type ParseReferenceResult = { ok: true; reference: ParsedReference } | { ok: false; input: string; error: string };

export interface ResolveDigestOptions {
  /** `os/architecture[/variant]`: resolve that platform's manifest of a multi-architecture image. */
  platform?: string;
}

/** The digest lookup's answer (a subset of `GET /v1/digests`). */
export interface PluginDigestAnswer {
  /** The digest of the reference (the index digest of a multi-architecture image). */
  digest: string;
  mediaType?: string;
  /** With `platform`: that platform's manifest. */
  platform?: { platform: string; digest: string; mediaType: string } | null;
  /** Served from cache while the registry fails. */
  stale?: boolean;
}

/** What the host gives a plugin, in `setup` and in every `evaluate`. */
export interface PluginContext<Options = Record<string, unknown>> {
  /** The plugin's name. */
  readonly name: string;
  /** The host's PLUGIN_API_VERSION. */
  readonly apiVersion: string;
  /** The plugin's options from the plugins config (`{}` when none). */
  readonly options: Options;
  readonly logger: PluginLogger;
  /** The service's reference parser (Kubernetes' rules). */
  parseReference(input: string): ParseReferenceResult;
  /**
   * The service's guarded, cached digest lookup — plugins have no other network path. Rejects with an
   * error whose `code` is a registry error code (ManifestUnknown, RegistryUnavailable, …). The lookup is
   * bounded by the plugin's `timeoutMs`.
   */
  resolveDigest(image: string, options?: ResolveDigestOptions): Promise<PluginDigestAnswer>;
}

/** What a plugin module exports. */
export interface Plugin<Options = Record<string, unknown>> {
  /** Unique, `[a-z0-9-]+`; the plugins config refers to it. */
  name: string;
  version?: string;
  description?: string;
  /** The plugin API version the plugin was written for (`'1'`, `'1.0'`); checked at load. */
  apiVersion?: string;
  /** A JSON Schema (draft 2020-12 subset that ajv understands) the options must satisfy. */
  optionsSchema?: Record<string, unknown>;
  /** Checks the options: return nothing when they are valid, else a problem or a list of problems (or throw). */
  validateOptions?(options: Options): void | undefined | null | string | readonly string[];
  /** Option keys whose values never leave the service (GET /v1/plugins shows `[redacted]`). */
  secretOptions?: readonly string[];
  /** Called once at start with the validated options; may be async. A throw stops the start. */
  setup?(options: Options, ctx: PluginContext<Options>): void | Promise<void>;
  /** Called for every image; may be async (then bounded by `timeoutMs`). */
  evaluate(input: PluginInput, ctx: PluginContext<Options>): PluginResult | Promise<PluginResult>;
  /** Called when the service stops. */
  close?(): void | Promise<void>;
}

/** Identity helper that gives TypeScript (and JSDoc) users full types for a plugin object. */
export function definePlugin<Options = Record<string, unknown>>(plugin: Plugin<Options>): Plugin<Options> {
  return plugin;
}
