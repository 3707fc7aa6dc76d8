import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import { createLogger, PinoNestLogger } from './common/logger.js';
import { formatSchemaErrors } from './common/schema-errors.js';
import { RequestValidationPipe } from './common/validation.js';
import type { AppConfig } from './config/config.js';
import { mountApiDocs } from './docs/docs.js';
import { instrumentHttp } from './metrics/http-metrics.js';

/** Builds the whole service, initialised but not listening (tests use it with `inject`). */
export async function createApp(config: AppConfig, logger: Logger = createLogger(config)): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    return503OnClosing: true,
    // Strict: no type coercion and no silent dropping of unknown properties in any Fastify schema.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    schemaErrorFormatter: formatSchemaErrors,
  });
  const fastify = adapter.getInstance();
  // JSON only (routes that take YAML register their own parser): anything else is a clear 415.
  fastify.removeContentTypeParser(['text/plain']);
  instrumentHttp(fastify);
  fastify.addHook('onResponse', (request, reply, done) => {
    logger.info(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
      'request',
    );
    done();
  });

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    bodyParser: false, // Fastify's own JSON parser only; no urlencoded bodies

  });
  app.useGlobalPipes(new RequestValidationPipe());
  app.enableShutdownHooks();
  mountApiDocs(app);
  await app.init();
  return app;
}
