/**
 * Runs the active plugins on one image, in order. Each plugin sees the image and policy as the plugins
 * before it left them (`mutate`); any `deny` ends the run and denies; `warn` adds a warning.
 *
 * A plugin that throws, rejects, answers something that is not a result, mutates to an invalid image or
 * takes longer than its `timeoutMs` has failed: its failurePolicy decides (`Fail` → deny with a message
 * naming the plugin; `Ignore` → skipped with a warning), and the failure is counted in the metrics.
 *
 * Cost: synchronous plugins run in a plain loop — no promise, timer or closure per plugin. Only a plugin
 * that returns a promise gets a timer, raced against it; when the timer wins the request goes on and the
 * plugin's late answer is dropped, so a hung plugin costs each request at most its timeout and holds
 * nothing of later requests. (A plugin stuck in a synchronous loop cannot be interrupted in-process.)
 */
import { errorText } from '../common/error-text.js';
import { ApiError, ErrorCode } from '../common/errors.js';
import { PLUGIN_VERDICTS, type PluginFailureKind, type PluginReport, type PluginRequestContext, type PluginRunResult, type PluginVerdict } from '../common/plugin-run.js';
import { parseReference } from '../reference/parse.js';
import { type ParsedReference, PULL_POLICIES, type PullPolicy } from '../reference/parsed-reference.js';
import type { Plugin, PluginContext, PluginInput, PluginOperation } from './plugin-api.js';
import { PLUGIN_OPERATIONS } from './plugin-api.js';
import type { ActivePlugin, HostLogger } from './plugin-loader.js';
import { type PluginStats, pluginStats } from './plugin-metrics.js';
import type { FailurePolicy } from './plugins-config.js';

export interface PluginRunInput {
  /** The image, parsed (preferred: callers usually have it) or as written (an invalid one is an InvalidReference error). */
  image: ParsedReference | string;
  /** The policy in force: given by the caller or defaulted. */
  imagePullPolicy: PullPolicy;
  context?: PluginRequestContext;
  operation: PluginOperation;
}

export interface PluginRunOptions {
  /** The request's remaining time: no plugin waits beyond it (each still has its own timeoutMs). */
  budgetMs?: number;
}

export type { PluginFailureKind, PluginReport, PluginRunResult };

const EMPTY_CONTEXT: PluginRequestContext = Object.freeze({});
/** Repeated failures of one plugin are logged at most this often. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

/** `a, b or c`: the allowed values, as the invalid-result messages name them. */
const oneOf = (values: readonly string[]): string => `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;

/** An active plugin with everything the hot path needs precomputed. */
interface RunnerPlugin {
  name: string;
  plugin: Plugin;
  ctx: PluginContext;
  timeoutMs: number;
  failurePolicy: FailurePolicy;
  stats: PluginStats;
  lastLogged: number;
  suppressed: number;
}

interface RunState {
  image: string;
  reference: ParsedReference;
  policy: PullPolicy;
  context: PluginRequestContext;
  operation: PluginOperation;
  input: PluginInput;
  original: { image: string; policy: PullPolicy };
  reports: PluginReport[];
  denied: boolean;
  denyMessages: string[];
  warnings: string[];
  deadline: number;
  budgetExhausted: boolean;
}

const TIMED_OUT = Symbol('timed out');
type Settled = { value: unknown } | { error: unknown } | typeof TIMED_OUT;

export class PluginRunner {
  private readonly byOperation = new Map<PluginOperation, RunnerPlugin[]>();
  private readonly count: number;

  constructor(
    active: readonly ActivePlugin[],
    private readonly logger?: HostLogger,
  ) {
    const prepared = active.map(
      (p): RunnerPlugin & { operations: readonly PluginOperation[] } => ({
        name: p.name,
        plugin: p.plugin,
        ctx: p.ctx,
        timeoutMs: p.timeoutMs,
        failurePolicy: p.failurePolicy,
        operations: p.operations,
        stats: pluginStats(p.name),
        lastLogged: -Infinity,
        suppressed: 0,
      }),
    );
    for (const operation of PLUGIN_OPERATIONS) this.byOperation.set(operation, prepared.filter((p) => p.operations.includes(operation)));
    this.count = prepared.length;
  }

  /** Number of active plugins. */
  get size(): number {
    return this.count;
  }

  /** True when some plugin runs for this operation (callers may skip building the input otherwise). */
  has(operation: PluginOperation): boolean {
    return (this.byOperation.get(operation)?.length ?? 0) > 0;
  }

  /** Runs the plugins of `input.operation` on one image. */
  run(input: PluginRunInput, options?: PluginRunOptions): Promise<PluginRunResult> {
    try {
      const result = this.runMaybeSync(input, options);
      return result instanceof Promise ? result : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `run`, answering synchronously when every plugin did (a cheaper path for callers that can use it). */
  runMaybeSync(input: PluginRunInput, options?: PluginRunOptions): PluginRunResult | Promise<PluginRunResult> {
    const plugins = this.byOperation.get(input.operation);
    if (plugins === undefined) throw new ApiError(ErrorCode.InvalidRequest, `unknown plugin operation "${String(input.operation)}"`);
    let reference: ParsedReference;
    if (typeof input.image === 'string') {
      const parsed = parseReference(input.image);
      if (!parsed.ok) throw new ApiError(ErrorCode.InvalidReference, parsed.error);
      reference = parsed.reference;
    } else {
      reference = input.image;
    }
    const context = input.context ?? EMPTY_CONTEXT;
    const image = reference.input;
    const policy = input.imagePullPolicy;
    const state: RunState = {
      image,
      reference,
      policy,
      context,
      operation: input.operation,
      input: { image: reference, imagePullPolicy: policy, context, operation: input.operation },
      original: { image, policy },
      reports: [],
      denied: false,
      denyMessages: [],
      warnings: [],
      deadline: options?.budgetMs === undefined ? Infinity : performance.now() + Math.max(0, options.budgetMs),
      budgetExhausted: false,
    };
    if (plugins.length === 0) return finish(state);
    return this.step(state, plugins, 0);
  }

  private step(state: RunState, plugins: readonly RunnerPlugin[], from: number): PluginRunResult | Promise<PluginRunResult> {
    for (let i = from; i < plugins.length; i++) {
      const p = plugins[i];
      const started = performance.now();
      if (started >= state.deadline) {
        state.budgetExhausted = true;
        this.fail(state, p, started, 'timeout', 'the request\'s time budget was used up before the plugin ran');
        if (state.denied) break;
        continue;
      }
      let out: unknown;
      try {
        out = p.plugin.evaluate(state.input, p.ctx);
      } catch (error) {
        this.fail(state, p, started, 'error', `threw: ${errorText(error, true)}`);
        if (state.denied) break;
        continue;
      }
      if (out !== null && typeof out === 'object' && typeof (out as PromiseLike<unknown>).then === 'function') {
        const limit = Math.min(p.timeoutMs, state.deadline - started);
        return race(out as PromiseLike<unknown>, limit).then((settled) => {
          if (settled === TIMED_OUT) {
            this.fail(state, p, started, 'timeout', `timed out after ${Math.round(limit)} ms`);
            // The request's budget bound this wait, so it is used up — even when the timer fired a fraction of a
            // millisecond before performance.now() reaches the deadline (timers count whole milliseconds).
            if (limit < p.timeoutMs) {
              state.deadline = -Infinity;
              state.budgetExhausted = true;
            }
          } else if ('error' in settled) this.fail(state, p, started, 'rejection', `rejected: ${errorText(settled.error, true)}`);
          else this.apply(state, p, started, settled.value);
          return state.denied ? finish(state) : this.step(state, plugins, i + 1);
        });
      }
      this.apply(state, p, started, out);
      if (state.denied) break;
    }
    return finish(state);
  }

  /** Applies a plugin's answer (or records it as a failure when it is not a valid one). */
  private apply(state: RunState, p: RunnerPlugin, started: number, out: unknown): void {
    const ended = performance.now();
    if (ended - started > p.timeoutMs) {
      this.fail(state, p, started, 'timeout', `took ${Math.round(ended - started)} ms, more than its timeout of ${p.timeoutMs} ms`, ended);
      return;
    }
    const problem = resultProblem(out);
    if (problem !== null) {
      this.fail(state, p, started, 'invalid-result', `returned an invalid result: ${problem}`, ended);
      return;
    }
    const result = out as { verdict: PluginVerdict; message?: string | null; mutate?: { image?: string; imagePullPolicy?: PullPolicy } | null };
    const message = typeof result.message === 'string' ? result.message : null;
    const report: PluginReport = { name: p.name, verdict: result.verdict, message, durationMs: round(ended - started) };
    if (result.verdict === 'deny') {
      state.denied = true;
      state.denyMessages.push(`${p.name}: ${message ?? 'denied'}`);
    } else {
      const mutate = result.mutate;
      if (mutate !== undefined && mutate !== null) {
        let reference = state.reference;
        if (mutate.image !== undefined && mutate.image !== state.image) {
          const parsed = parseReference(mutate.image);
          if (!parsed.ok) {
            this.fail(state, p, started, 'invalid-mutation', `mutated the image to "${mutate.image}", which is not valid: ${parsed.error}`, ended);
            return;
          }
          reference = parsed.reference;
        }
        const mutated: NonNullable<PluginReport['mutated']> = {};
        if (reference !== state.reference) {
          state.reference = reference;
          state.image = reference.input;
          mutated.image = reference.input;
        }
        if (mutate.imagePullPolicy !== undefined && mutate.imagePullPolicy !== state.policy) {
          state.policy = mutate.imagePullPolicy;
          mutated.imagePullPolicy = mutate.imagePullPolicy;
        }
        if (mutated.image !== undefined || mutated.imagePullPolicy !== undefined) {
          report.mutated = mutated;
          state.input = { image: state.reference, imagePullPolicy: state.policy, context: state.context, operation: state.operation };
        }
      }
      if (result.verdict === 'warn') state.warnings.push(`${p.name}: ${message ?? 'warning'}`);
    }
    state.reports.push(report);
    p.stats.evaluations[result.verdict]++;
    p.stats.observe((ended - started) / 1000);
  }

  private fail(state: RunState, p: RunnerPlugin, started: number, kind: PluginFailureKind, detail: string, ended = performance.now()): void {
    const text = `plugin "${p.name}" failed: ${detail}`;
    const report: PluginReport = { name: p.name, verdict: 'deny', message: null, durationMs: round(ended - started), error: { kind, message: detail } };
    if (p.failurePolicy === 'Fail') {
      report.message = `${text} (failurePolicy Fail)`;
      state.denied = true;
      state.denyMessages.push(`${p.name}: ${report.message}`);
    } else {
      report.verdict = 'warn';
      report.message = `${text}; skipped (failurePolicy Ignore)`;
      state.warnings.push(`${p.name}: ${report.message}`);
    }
    state.reports.push(report);
    p.stats.evaluations.error++;
    p.stats.failures[kind]++;
    p.stats.observe((ended - started) / 1000);
    this.logFailure(p, kind, detail, ended);
  }

  private logFailure(p: RunnerPlugin, kind: PluginFailureKind, detail: string, now: number): void {
    if (this.logger === undefined) return;
    if (now - p.lastLogged < FAILURE_LOG_INTERVAL_MS) {
      p.suppressed++;
      return;
    }
    this.logger.warn({ plugin: p.name, kind, problem: detail, failurePolicy: p.failurePolicy, suppressedSinceLast: p.suppressed }, `plugin "${p.name}" failed`);
    p.lastLogged = now;
    p.suppressed = 0;
  }
}

function finish(state: RunState): PluginRunResult {
  return {
    image: state.image,
    reference: state.reference,
    imagePullPolicy: state.policy,
    imageMutated: state.image !== state.original.image,
    policyMutated: state.policy !== state.original.policy,
    plugins: state.reports,
    denied: state.denied,
    denyMessages: state.denyMessages,
    warnings: state.warnings,
    budgetExhausted: state.budgetExhausted,
  };
}

/** Settles with the plugin's answer, or TIMED_OUT when `ms` pass first; the timer never outlives the race. */
function race(pending: PromiseLike<unknown>, ms: number): Promise<Settled> {
  return new Promise<Settled>((settle) => {
    if (!(ms > 0)) {
      settle(TIMED_OUT);
      // Still observe the plugin's promise, so a late rejection is not an unhandled one.
      pending.then(undefined, () => undefined);
      return;
    }
    const timer = setTimeout(settle, ms, TIMED_OUT);
    pending.then(
      (value) => {
        clearTimeout(timer);
        settle({ value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        settle({ error });
      },
    );
  });
}

function resultProblem(out: unknown): string | null {
  if (out === null || typeof out !== 'object') return `expected an object with a verdict, got ${out === null ? 'null' : typeof out}`;
  const result = out as Record<string, unknown>;
  if (!PLUGIN_VERDICTS.includes(result.verdict as PluginVerdict)) return `verdict must be ${oneOf(PLUGIN_VERDICTS)}, got ${JSON.stringify(result.verdict) ?? 'nothing'}`;
  if (result.message !== undefined && result.message !== null && typeof result.message !== 'string') return 'message must be a string';
  const mutate = result.mutate;
  if (mutate === undefined || mutate === null) return null;
  if (typeof mutate !== 'object') return 'mutate must be an object';
  const { image, imagePullPolicy } = mutate as Record<string, unknown>;
  if (image !== undefined && typeof image !== 'string') return 'mutate.image must be a string';
  if (imagePullPolicy !== undefined && !(PULL_POLICIES as readonly unknown[]).includes(imagePullPolicy)) {
    return `mutate.imagePullPolicy must be ${oneOf(PULL_POLICIES)}, got ${JSON.stringify(imagePullPolicy)}`;
  }
  return null;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
