import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { digestAnswerSchema } from './digest.schemas.js';
import type { DigestAnswer } from './digest.service.js';

const HEX = 'a'.repeat(64);

describe('GET /v1/digests answer schema', () => {
  it.each([
    ['without a platform', null],
    ['with a platform', { platform: 'linux/arm64/v8', digest: `sha256:${'b'.repeat(64)}`, mediaType: 'application/vnd.oci.image.manifest.v1+json' }],
  ])('the compiled serialiser keeps every field of an answer %s', async (_name, platform) => {
    const answer: DigestAnswer = {
      image: 'nginx:1.25',
      reference: 'docker.io/library/nginx:1.25',
      digest: `sha256:${HEX}`,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      platform,
      source: 'cache',
      stale: true,
      resolvedAt: '2026-11-29T10:00:00.000Z',
      expiresAt: '2026-11-29T10:01:00.000Z',
    };
    const fastify = Fastify();
    fastify.get('/', { schema: { response: { 200: digestAnswerSchema } } }, async () => answer);
    const response = await fastify.inject('/');
    expect(JSON.parse(response.body)).toEqual(answer);
    await fastify.close();
  });
});
