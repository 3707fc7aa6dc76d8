import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ReadinessRegistry } from '../health/readiness.js';
import type { PluginOperation } from './plugin-api.js';
import { PLUGIN_DIGEST_LOOKUP, type PluginDigestLookup } from './plugin-digest-lookup.port.js';
import { closePlugins, type HostLogger, type LoadedPlugins, loadPlugins, type PluginInfo } from './plugin-loader.js';
import { type PluginRunInput, type PluginRunOptions, type PluginRunResult, PluginRunner } from './plugin-runner.js';

/**
 * The plugins of this service: loaded once at start (a failure stops the start, naming the plugin),
 * listed by GET /v1/plugins, and run by the decision, defaulting and admission services:
 *
 *   const outcome = await pluginHost.run({ image: parsedReference, imagePullPolicy, context, operation: 'decision' });
 *   // outcome.denied → Fail with reason DeniedByPolicy and outcome.denyMessages;
 *   // outcome.warnings → warnings; outcome.image / outcome.imagePullPolicy → the (mutated) answer;
 *   // outcome.plugins → the per-plugin report.
 */
@Injectable()
export class PluginHost implements OnModuleInit, OnApplicationShutdown {
  private loaded: LoadedPlugins | null = null;
  private runner = new PluginRunner([]);

  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'pluginsDir' | 'pluginsConfig'>,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
    @Optional() @Inject(PLUGIN_DIGEST_LOOKUP) private readonly digestLookup?: PluginDigestLookup,
    @Optional() @Inject(ReadinessRegistry) private readonly readiness?: ReadinessRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    const logger = this.logger?.child({ component: 'plugins' }) as HostLogger | undefined;
    this.loaded = await loadPlugins({
      dir: this.config.pluginsDir,
      configFile: this.config.pluginsConfig,
      logger,
      digestLookup: this.digestLookup ?? null,
    });
    this.runner = new PluginRunner(this.loaded.active, logger);
    const counts = this.counts();
    logger?.info({ dir: this.loaded.dir, config: this.loaded.config.found ? this.loaded.config.file : null, ...counts }, 'plugins loaded');
    this.readiness?.register({ name: 'plugins', check: () => this.readinessCheck() });
  }

  async onApplicationShutdown(): Promise<void> {
    const active = this.loaded?.active ?? [];
    this.runner = new PluginRunner([]);
    await closePlugins(active, this.logger as HostLogger | undefined);
  }

  /** Every plugin found or configured, in run order, with its status. */
  list(): PluginInfo[] {
    return (this.loaded?.plugins ?? []).map((info) => ({ ...info, operations: [...info.operations], options: structuredClone(info.options) }));
  }

  /** True when some plugin runs for this operation. */
  has(operation: PluginOperation): boolean {
    return this.runner.has(operation);
  }

  /** Runs the plugins of `input.operation` on one image (see PluginRunner). */
  run(input: PluginRunInput, options?: PluginRunOptions): Promise<PluginRunResult> {
    return this.runner.run(input, options);
  }

  /** `run`, answering synchronously when every plugin did. */
  runMaybeSync(input: PluginRunInput, options?: PluginRunOptions): PluginRunResult | Promise<PluginRunResult> {
    return this.runner.runMaybeSync(input, options);
  }

  private counts(): { active: number; failed: number; disabled: number } {
    const counts = { active: 0, failed: 0, disabled: 0 };
    for (const info of this.loaded?.plugins ?? []) counts[info.status]++;
    return counts;
  }

  /** Ready once loaded; optional plugins that failed make the service degraded (it runs without them). */
  private readinessCheck(): { ready: boolean; degraded: boolean; detail: string } {
    if (this.loaded === null) return { ready: false, degraded: false, detail: 'plugins not loaded yet' };
    const { active, failed, disabled } = this.counts();
    const failures = this.loaded.plugins.filter((info) => info.status === 'failed').map((info) => `${info.name}: ${info.error ?? 'failed'}`);
    const detail = `${active} active, ${failed} failed, ${disabled} disabled${failures.length ? ` (${failures.join('; ')})` : ''}`;
    return { ready: true, degraded: failed > 0, detail };
  }
}
