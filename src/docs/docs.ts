import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { JSON_CONTENT_TYPE } from '../common/content-types.js';
import type { DirectRoute } from '../common/direct-routes.js';

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

/** Builds the OpenAPI document from the controllers' decorators and the direct routes, and serves it with its UI. */
export function mountApiDocs(app: NestFastifyApplication, directRoutes: readonly DirectRoute[] = []): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Image policy service')
      .setDescription(
        'Answers every question about a container image the way Kubernetes would — reference parsing, ' +
          'imagePullPolicy defaulting, kubelet pull decisions, registry digests — plus the organisation\'s rules. ' +
          'Errors are `{"error": {"code", "message"}}`.',
      )
      .setVersion('1')
      .build(),
    { extraModels: directRoutes.flatMap((route) => route.models) },
  );
  for (const route of directRoutes) {
    const path = (document.paths[route.url] ??= {}) as Record<string, unknown>;
    path[route.method.toLowerCase()] = route.openapi;
  }
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
