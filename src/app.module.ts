import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { type DynamicModule, Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import type { Logger } from 'pino';
import { ApiExceptionFilter } from './common/api-exception.filter.js';
import { formatGraphqlError } from './common/graphql-errors.js';
import { flushLogger, LOGGER } from './common/logger.js';
import { APP_CONFIG, type AppConfig } from './config/config.js';
import { HealthModule } from './health/health.module.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { ReferenceModule } from './reference/reference.module.js';
import { RegistryModule } from './registry/registry.module.js';
import { DigestService } from './registry/digest.service.js';
import { PullPolicyModule } from './pull-policy/pull-policy.module.js';
import { DecisionModule } from './decision/decision.module.js';
import { PluginHostModule } from './plugin-host/plugin-host.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AdmissionModule } from './admission/admission.module.js';
import type { AuthState } from './auth/auth-state.js';
import { type GraphqlLimits, graphqlDocumentGuard, graphqlLimitsRule } from './auth/graphql-limits.js';

/** Writes out the buffered log lines when the application shuts down. */
@Injectable()
class LogFlusher implements OnApplicationShutdown {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  onApplicationShutdown(): void {
    flushLogger(this.logger); // the last access-log lines first, so "stopped" is the last line
    this.logger.info('image policy service stopped');
    flushLogger(this.logger);
  }
}

/** Makes the validated configuration and the logger injectable everywhere. */
@Global()
@Module({})
class CoreModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        LogFlusher,
      ],
      exports: [APP_CONFIG, LOGGER],
    };
  }
}

@Module({})
export class AppModule {
  /** `auth`: the API keys and open paths (from the app factory's request hook); absent: authentication off. */
  static forRoot(config: AppConfig, logger: Logger, auth?: AuthState): DynamicModule {
    const graphqlLimits: GraphqlLimits = {
      maxDepth: config.graphqlMaxDepth,
      maxAliases: config.graphqlMaxAliases,
      maxComplexity: config.graphqlMaxComplexity,
      maxTokens: config.graphqlMaxTokens,
      maxDocumentBytes: config.graphqlMaxDocumentBytes,
    };
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, logger),
        AuthModule.forRoot(auth),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          // Apollo's landing page loads code from public CDNs: useless offline, so none is served.
          playground: false,
          introspection: true,
          includeStacktraceInErrorResponses: false,
          formatError: formatGraphqlError,
          // The GraphQL limits (auth/graphql-limits.ts): the document text (length, tokens, nesting) before Apollo
          // parses it — the parser's own bounds are the backstop — then each operation's cost before it runs.
          context: graphqlDocumentGuard(graphqlLimits),
          parseOptions: { maxLexicalTokens: graphqlLimits.maxTokens, maxSourceLength: graphqlLimits.maxDocumentBytes },
          validationRules: [graphqlLimitsRule(graphqlLimits)],
        }),
        HealthModule,
        ReferenceModule,
        RegistryModule,
        PluginHostModule.forRoot({ imports: [RegistryModule], digestLookup: DigestService }),
        PullPolicyModule,
        DecisionModule.withDigestLookup([RegistryModule], DigestService),
        AdmissionModule,
      ],
      controllers: [MetricsController],
      providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }],
    };
  }
}
