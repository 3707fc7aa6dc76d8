/**
 * The registry side as a Nest module: DigestService built from the configuration (Redis or memory
 * cache), REST and GraphQL adapters, the cache's readiness check, and clean shutdown.
 */
import { Inject, Module, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ReadinessRegistry } from '../health/readiness.js';
import { DigestLoaders } from './digest.loader.js';
import { DigestResolver } from './digest.resolver.js';
import { DigestService } from './digest.service.js';
import { createDigestService } from './digest-service.factory.js';
import { DigestsController } from './digests.controller.js';

@Module({
  controllers: [DigestsController],
  providers: [
    {
      provide: DigestService,
      inject: [APP_CONFIG, { token: LOGGER, optional: true }],
      useFactory: (config: AppConfig, logger?: Logger) =>
        createDigestService(config, {
          // The message comes from the Redis client: it names the connection problem, never a secret.
          onCacheError: (message) => logger?.warn({ cache: 'redis', problem: message }, 'shared digest cache unavailable; using the local cache'),
        }),
    },
    DigestLoaders,
    DigestResolver,
  ],
  exports: [DigestService],
})
export class RegistryModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DigestService) private readonly digests: DigestService,
    @Optional() @Inject(ReadinessRegistry) private readonly readiness?: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    // A Redis outage degrades (answers come from the local cache); it never makes the service unready.
    this.readiness?.register({
      name: 'digestCache',
      check: () => {
        const health = this.digests.health();
        return { ready: true, degraded: !health.sharedAvailable, detail: health.detail ?? `${health.backend} cache` };
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.digests.close();
  }
}
