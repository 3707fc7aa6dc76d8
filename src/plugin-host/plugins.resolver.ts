import { Query, Resolver } from '@nestjs/graphql';
import { PluginModel } from './plugin.models.js';
import { PluginHost } from './plugin-host.service.js';
import type { PluginInfo } from './plugin-loader.js';

@Resolver()
export class PluginsResolver {
  constructor(private readonly host: PluginHost) {}

  @Query(() => [PluginModel], { description: 'The rule plugins: active, failed (optional ones) and disabled, in run order' })
  plugins(): PluginInfo[] {
    return this.host.list();
  }
}
