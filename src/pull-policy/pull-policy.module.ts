import { Module, type OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { PullPolicyController } from './pull-policy.controller.js';
import { PullPolicyResolver } from './pull-policy.resolver.js';
import { PullPolicyService } from './pull-policy.service.js';
import { registerYamlBodyParser } from './http/yaml-body.js';

/**
 * imagePullPolicy defaulting: `POST /v1/pull-policy/default`, `POST /v1/manifests/default` (JSON or raw
 * YAML), GraphQL `defaultPullPolicy` and `defaultManifests`. Registers the raw-YAML body parser on the
 * Fastify instance at init (see http/yaml-body.ts to register it globally instead).
 */
@Module({ controllers: [PullPolicyController], providers: [PullPolicyService, PullPolicyResolver], exports: [PullPolicyService] })
export class PullPolicyModule implements OnModuleInit {
  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  onModuleInit(): void {
    const instance = this.adapterHost?.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (instance !== undefined && typeof instance.addContentTypeParser === 'function') registerYamlBodyParser(instance);
  }
}
