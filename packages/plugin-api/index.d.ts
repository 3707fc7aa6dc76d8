/**
 * Types for image-policy-service rule plugins (plugin API 1.x).
 *
 * A plugin is a JavaScript module in PLUGINS_DIR whose default export (or `module.exports`) is a `Plugin`.
 * Plain JavaScript gets editor help through JSDoc:
 *
 *   // @ts-check
 *   /** @type {import('@image-policy-service/plugin-api').Plugin<{ namespaces?: string[] }>} *\/
 *   export default { name: 'my-rule', evaluate(input, ctx) { return { verdict: 'allow' }; } };
 *
 * Keep in step with src/plugin-host/plugin-api.ts (a test checks both ways).
 */

/** The plugin API version these types describe. */
export declare const PLUGIN_API_VERSION: '1.0.0';

/** imagePullPolicy values the Kubernetes API accepts. */
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** An image reference parsed exactly as Kubernetes does. */
export interface ParsedReference {
  /** The reference as written. */
  input: string;
  /** `domain/path`, fully normalised (`docker.io/library/nginx`). */
  name: string;
  /** The registry host, with port if any (`docker.io`, `registry.example.com:5000`). */
  domain: string;
  /** The repository path (`library/nginx`). */
  path: string;
  tag: string | null;
  digest: string | null;
  /** `name[:tag][@digest]`. */
  canonical: string;
  /** What `docker` prints: `docker.io/` and, for single names, `library/` dropped. */
  familiar: string;
  familiarName: string;
  /** What a runtime pulls: tag dropped when a digest is present, `:latest` added when neither is. */
  pullReference: string;
  /** What the API server defaults an empty imagePullPolicy to for this image. */
  defaultPullPolicy: PullPolicy;
}

/** Where the service asks the plugins: pull decisions, policy defaulting, manifest defaulting, admission. */
export type PluginOperation = 'decision' | 'default' | 'manifest' | 'admission';

export type PluginVerdict = 'allow' | 'warn' | 'deny';

/** What the caller said about where the image is used; every field is optional. */
export interface PluginRequestContext {
  namespace?: string;
  labels?: Readonly<Record<string, string>>;
  /** Kind of the object (`Pod`, `Deployment`, …). */
  kind?: string;
  /** Name of the object. */
  name?: string;
  /** Name of the container. */
  container?: string;
  readonly [key: string]: unknown;
}

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
  /** The host's plugin API version. */
  readonly apiVersion: string;
  /** The plugin's options from the plugins config (`{}` when none); frozen. */
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
  /** A JSON Schema (as ajv understands it) the options must satisfy. */
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
export declare function definePlugin<Options = Record<string, unknown>>(plugin: Plugin<Options>): Plugin<Options>;
