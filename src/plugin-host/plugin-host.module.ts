import { type DynamicModule, Global, type InjectionToken, Module, type ModuleMetadata } from '@nestjs/common';
import { PLUGIN_DIGEST_LOOKUP } from './plugin-digest-lookup.port.js';
import { PluginHost } from './plugin-host.service.js';
import { PluginsController } from './plugins.controller.js';
import { PluginsResolver } from './plugins.resolver.js';

export interface PluginHostModuleOptions {
  /** Modules that provide the digest lookup (e.g. `[RegistryModule]`). */
  imports?: ModuleMetadata['imports'];
  /** The provider whose `resolve(image, {platform, signal})` plugins reach through `ctx.resolveDigest` (e.g. `DigestService`). */
  digestLookup?: InjectionToken;
}

/**
 * The plugin host, global so the decision, defaulting and admission services can inject PluginHost.
 * Plugins load in PluginHost.onModuleInit: a plugin that fails to load stops `app.init()` with a
 * PluginLoadError naming it (unless the config marks it optional).
 *
 * In app.module.ts:
 *   PluginHostModule.forRoot({ imports: [RegistryModule], digestLookup: DigestService })
 * (`PluginHostModule` on its own works too; then `ctx.resolveDigest` rejects: no lookup is bound.)
 */
@Global()
@Module({
  controllers: [PluginsController],
  providers: [PluginHost, PluginsResolver],
  exports: [PluginHost],
})
export class PluginHostModule {
  static forRoot(options: PluginHostModuleOptions = {}): DynamicModule {
    return {
      module: PluginHostModule,
      global: true,
      imports: options.imports ?? [],
      providers: options.digestLookup === undefined ? [] : [{ provide: PLUGIN_DIGEST_LOOKUP, useExisting: options.digestLookup }],
    };
  }
}
