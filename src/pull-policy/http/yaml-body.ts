/**
 * Raw YAML request bodies (`Content-Type: application/yaml`, also `application/x-yaml`, `text/yaml`,
 * `text/x-yaml`) reach the controllers as the unparsed string, so the YAML can be answered with its
 * comments and layout intact.
 *
 * PullPolicyModule registers the parser on the Fastify instance when it initialises (before the server
 * listens). To make it global by hand instead, in main.ts / app.factory.ts before `app.init()`:
 *   registerYamlBodyParser(adapter.getInstance());
 * Registering twice is harmless: an existing parser for these types is left alone.
 */
import type { FastifyInstance } from 'fastify';

export const YAML_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'] as const;

export function isYamlMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const bare = contentType.split(';')[0].trim().toLowerCase();
  return (YAML_MEDIA_TYPES as readonly string[]).includes(bare);
}

export function registerYamlBodyParser(fastify: FastifyInstance): void {
  for (const type of YAML_MEDIA_TYPES) {
    if (fastify.hasContentTypeParser(type)) continue;
    fastify.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => done(null, body));
  }
}
