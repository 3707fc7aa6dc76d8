import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/config.js';

/** The whole service as `npm start` builds it, from environment-style settings, ready for supertest. */
export async function startTestApp(env: Record<string, string> = {}): Promise<NestFastifyApplication> {
  const app = await createApp(loadConfig({ LOG_LEVEL: 'silent', ...env }));
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
