import { type DynamicModule, type InjectionToken, Module, type ModuleMetadata } from '@nestjs/common';
import { DecisionController } from './decision.controller.js';
import { DecisionResolver } from './decision.resolver.js';
import { DecisionService } from './decision.service.js';
import { DIGEST_LOOKUP } from './digest-lookup.port.js';
import { VersionController } from './version.controller.js';

/**
 * Kubelet pull decisions: `POST /v1/pull-decisions` (and `/batch`), GraphQL `pullDecision` and
 * `pullDecisions`; `GET /v1/version` (the kubelet releases modelled). Imported as is, decisions never contact a registry (they say so); bind the registry
 * with `DecisionModule.withDigestLookup([RegistryModule], DigestService)`.
 */
@Module({ controllers: [DecisionController, VersionController], providers: [DecisionService, DecisionResolver], exports: [DecisionService] })
export class DecisionModule {
  /** Binds the DigestLookup port to a provider (the registry module's DigestService has its shape). */
  static withDigestLookup(imports: NonNullable<ModuleMetadata['imports']>, lookup: InjectionToken): DynamicModule {
    return { module: DecisionModule, imports, providers: [{ provide: DIGEST_LOOKUP, useExisting: lookup }] };
  }
}
