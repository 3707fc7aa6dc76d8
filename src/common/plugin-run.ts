/**
 * What a plugin run answers, as both the plugin host (which runs the plugins) and the pure cores (which
 * turn the answers into warnings, denials and mutations) see it: types, and the value lists the types are
 * derived from. The cores must not import src/plugin-host (.dependency-cruiser.cjs), so the shapes they
 * share with it live here.
 */
import type { ParsedReference, PullPolicy } from '../reference/parsed-reference.js';

/** A plugin's verdict on one image (part of the published plugin API, re-exported by plugin-api.ts). */
export const PLUGIN_VERDICTS = ['allow', 'warn', 'deny'] as const;
export type PluginVerdict = (typeof PLUGIN_VERDICTS)[number];

/** What the caller said about where the image is used; every field is optional (published plugin API). */
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

/** How a plugin failed (and the label of its failure metric). */
export const PLUGIN_FAILURE_KINDS = ['error', 'rejection', 'timeout', 'invalid-result', 'invalid-mutation'] as const;
export type PluginFailureKind = (typeof PLUGIN_FAILURE_KINDS)[number];

/** One plugin's verdict, as the answers report it (`plugins: [...]`). */
export interface PluginReport {
  name: string;
  verdict: PluginVerdict;
  message: string | null;
  durationMs: number;
  /** The changes this plugin made. */
  mutated?: { image?: string; imagePullPolicy?: PullPolicy };
  /** Present when the plugin failed; its failurePolicy turned the failure into `deny` (Fail) or `warn` (Ignore). */
  error?: { kind: PluginFailureKind; message: string };
}

export interface PluginRunResult {
  /** The image to use: as given, or as the plugins mutated it. */
  image: string;
  /** `image`, parsed. */
  reference: ParsedReference;
  imagePullPolicy: PullPolicy;
  imageMutated: boolean;
  policyMutated: boolean;
  /** The plugins that ran, in order (a deny ends the run). */
  plugins: PluginReport[];
  denied: boolean;
  /** `<plugin>: <message>` for the deny (plugin failures under `Fail` included). */
  denyMessages: string[];
  /** `<plugin>: <message>` for every warn (plugin failures under `Ignore` included). */
  warnings: string[];
  /**
   * The caller's budget (`budgetMs`) ran out: a plugin was not run, or not waited for, because of it. The
   * failures it caused are reported under each plugin's failurePolicy, but a caller with a failure policy of
   * its own for running out of time (the admission webhooks) decides by this instead.
   */
  budgetExhausted: boolean;
}
