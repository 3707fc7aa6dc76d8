import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import { createAccessLog, createLogger, PinoNestLogger } from './common/logger.js';
import { formatSchemaErrors } from './common/schema-errors.js';
import { RequestValidationPipe } from './common/validation.js';
import type { AppConfig } from './config/config.js';
import { mountApiDocs } from './docs/docs.js';
import { collectProcessMetrics, recordHttpRequest } from './metrics/http-metrics.js';
import { installAccessControl } from './auth/access-control.js';
import { registerDirectRoutes } from './common/direct-routes.js';
import { decisionRoutes } from './decision/decision.routes.js';
import { DecisionService } from './decision/decision.service.js';
import { referenceRoutes } from './reference/reference.routes.js';
import { ReferenceService } from './reference/reference.service.js';
import { digestRoutes } from './registry/digests.routes.js';
import { DigestService } from './registry/digest.service.js';
import { loadTlsPair, watchTlsPair } from './common/tls.js';
import { installJsonBodyParser } from './common/json-body.js';
import { answerClientError } from './common/client-errors.js';

/** Builds the whole service, initialised but not listening (tests use it with `inject`). */
export async function createApp(config: AppConfig, logger: Logger = createLogger(config)): Promise<NestFastifyApplication> {
  for (const deprecation of config.deprecations) logger.warn(deprecation);
  const tls = loadTlsPair(config); // TLS_CERT_FILE + TLS_KEY_FILE: HTTPS, reloaded when the files change
  const adapter = new FastifyAdapter({
    ...(tls === null ? {} : { https: tls }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false, // request.ip (rate limits without keys) from X-Forwarded-For of trusted proxies only
    return503OnClosing: true,
    // Strict: no type coercion and no silent dropping of unknown properties in any Fastify schema.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    schemaErrorFormatter: formatSchemaErrors,
    // No Express-style middleware anywhere (cross-cutting work is in Fastify hooks): without middie, no
    // request pays for its per-request matching. A module that adds middleware fails at start, not silently.
    skipMiddie: true,
    clientErrorHandler: answerClientError, // 431 / 408 / 400 in the service's error model, before any route
  });
  const fastify = adapter.getInstance();
  // JSON only (routes that take YAML register their own parser): anything else is a clear 415.
  fastify.removeContentTypeParser(['text/plain']);
  installJsonBodyParser(fastify);
  collectProcessMetrics();
  // Graceful shutdown: once closing, answers end their connection, so a keep-alive client whose request was in
  // flight does not hold the server open (idle connections are closed by Fastify itself).
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  const auth = installAccessControl(fastify, config, logger); // API keys (401) and rate limits (429), before the body is read
  if (tls !== null) {
    const stop = watchTlsPair(fastify.server as unknown as Parameters<typeof watchTlsPair>[0], config, logger);
    fastify.addHook('onClose', (_instance, done) => {
      stop();
      done();
    });
  }
  // One hook per answered request (each hook costs Fastify a call chain): count and time it, then log it.
  const accessLog = config.accessLog ? createAccessLog(logger) : () => undefined;
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'; // a getter that builds an object: read once
    const status = reply.statusCode;
    const ms = reply.elapsedTime;
    recordHttpRequest(request.method, route, status, ms / 1000);
    accessLog({ method: request.method, route, status, ms: Math.round(ms * 100) / 100, key: request.apiKey?.name });
    done();
  });

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger, auth), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    bodyParser: false, // Fastify's own JSON parser only; no urlencoded bodies
  });
  app.useGlobalPipes(new RequestValidationPipe());
  app.enableShutdownHooks();
  const directRoutes = [
    ...referenceRoutes(app.get(ReferenceService)),
    ...digestRoutes(app.get(DigestService)),
    ...decisionRoutes(app.get(DecisionService)),
  ];
  mountApiDocs(app, directRoutes, auth);
  await app.init();
  registerDirectRoutes(fastify, directRoutes, auth); // after init: Nest's error handler is in place
  return app;
}
