import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { AuthState } from '../auth/auth-state.js';
import { ROUTE_SCOPES, SCOPES_METADATA, type ScopeRule, scopeRuleText } from '../auth/scopes.js';
import { JSON_CONTENT_TYPE } from '../common/content-types.js';
import type { DirectRoute } from '../common/direct-routes.js';
import { ErrorResponseDto } from '../reference/reference.dto.js';

const require = createRequire(import.meta.url);
/** swagger-ui-dist ships the UI's files; serving them ourselves keeps /docs working offline. */
const swaggerUiDir: string = (require('swagger-ui-dist/absolute-path.js') as () => string)();

const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Image policy service — API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout',
});`;

/** The security scheme of API keys (`Authorization: Bearer <key>`), by its name in the document. */
export const BEARER_SCHEME = 'bearer';

/**
 * Builds the OpenAPI document from the controllers' decorators and the direct routes, and serves it with its UI.
 * Each operation's `security` and the scope it needs (in its description) are read from the rules the service
 * enforces (`@RequireScopes`, ROUTE_SCOPES) and from this instance's open paths (AUTH_OPEN_PATHS).
 */
export function mountApiDocs(app: NestFastifyApplication, directRoutes: readonly DirectRoute[] = [], auth?: AuthState): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Image policy service')
      .setDescription(
        'Answers every question about a container image the way Kubernetes would — reference parsing, ' +
          'imagePullPolicy defaulting, kubelet pull decisions, registry digests — plus the organisation\'s rules. ' +
          'Errors are `{"error": {"code", "message"}}`. With API keys on (`API_KEYS_FILE`), every route but the open ' +
          'paths (`AUTH_OPEN_PATHS`) needs `Authorization: Bearer <key>` for a key with the scopes its description names. ' +
          'The `operationId`s are stable: generated clients keep their method names.',
      )
      .setVersion('1')
      .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
      .addServer('/', 'This service (paths are relative to where this document was fetched)')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'API key', description: 'An API key from API_KEYS_FILE (when API keys are on)' }, BEARER_SCHEME)
      .build(),
    { extraModels: [ErrorResponseDto, ...directRoutes.flatMap((route) => route.models)] },
  );
  for (const route of directRoutes) {
    const path = (document.paths[route.url] ??= {}) as Record<string, unknown>;
    path[route.method.toLowerCase()] = structuredClone(route.openapi);
  }
  const declared = declaredScopes(app);
  describeSecurity(document, (what) => declared.get(what) ?? ROUTE_SCOPES[what], auth?.isOpen ?? (() => false));
  const body = JSON.stringify(document);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/openapi.json', (_request, reply) => reply.type(JSON_CONTENT_TYPE).send(body));
  fastify.get('/docs', (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_PAGE));
  fastify.get('/docs/init.js', (_request, reply) => reply.type('application/javascript; charset=utf-8').send(INIT_SCRIPT));
  for (const [file, type] of Object.entries(ASSETS)) {
    fastify.get(`/docs/${file}`, async (_request, reply) => {
      const content = await readFile(join(swaggerUiDir, file));
      return reply.type(type).header('cache-control', 'public, max-age=86400').send(content);
    });
  }
}

/** `METHOD /path` → the scopes a Nest handler declares with `@RequireScopes` (on itself or its controller). */
function declaredScopes(app: NestFastifyApplication): Map<string, ScopeRule> {
  const found = new Map<string, ScopeRule>();
  const paths = (value: unknown): string[] => (Array.isArray(value) ? value : [value ?? '']).map(String);
  const join = (...parts: string[]) => `/${parts.flatMap((part) => part.split('/')).filter((part) => part !== '').join('/')}`;
  for (const module of app.get(ModulesContainer, { strict: false }).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (typeof controller !== 'function') continue;
      const onClass = Reflect.getMetadata(SCOPES_METADATA, controller) as ScopeRule | undefined;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        const scopes = (Reflect.getMetadata(SCOPES_METADATA, handler) as ScopeRule | undefined) ?? onClass;
        if (method === undefined || scopes === undefined) continue;
        for (const base of paths(Reflect.getMetadata(PATH_METADATA, controller))) {
          for (const path of paths(Reflect.getMetadata(PATH_METADATA, handler))) found.set(`${RequestMethod[method]} ${join(base, path)}`, scopes);
        }
      }
    }
  }
  return found;
}

type Operation = { description?: string; security?: Record<string, string[]>[]; responses: Record<string, { description: string; content?: unknown }> };
const ERROR_CONTENT = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } } };

/**
 * Per operation: `security: []` on open paths; elsewhere the bearer scheme, the scope in words at the end of
 * the description, and the 401 / 403 / 429 answers of authentication, the scope check and rate limits.
 */
function describeSecurity(document: OpenAPIObject, ruleOf: (what: string) => ScopeRule | undefined, isOpen: (path: string) => boolean): void {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, value] of Object.entries(item as Record<string, Operation>)) {
      const operation = value;
      const add = (text: string) => (operation.description = operation.description ? `${operation.description}\n\n${text}` : text);
      if (isOpen(path)) {
        operation.security = [];
        add('**API key**: none needed, this is an open path (`AUTH_OPEN_PATHS`).');
        continue;
      }
      const rule = ruleOf(`${method.toUpperCase()} ${path}`);
      operation.security = [{ [BEARER_SCHEME]: [] }];
      add(
        rule === undefined
          ? '**API key**: refused while API keys are on (no scope rule).'
          : `**API key** (when API keys are on): \`Authorization: Bearer <key>\`, a key with the scope ${scopeRuleText(rule)}.`,
      );
      const answer = (status: string, description: string) => {
        const existing = operation.responses[status];
        operation.responses[status] = existing === undefined ? { description, content: ERROR_CONTENT } : { ...existing, description: `${existing.description}; or ${description}` };
      };
      answer('401', 'Unauthorized: no API key, or an unknown one (with `WWW-Authenticate: Bearer`)');
      answer('403', 'Forbidden: the API key lacks the scope this route needs');
      answer('429', 'RateLimited: over RATE_LIMIT_PER_SECOND for this key or client (with `Retry-After`)');
    }
  }
}
