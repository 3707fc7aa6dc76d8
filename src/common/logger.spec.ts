import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createAccessLog } from './logger.js';

const capture = (level = 'info') => {
  const chunks: string[] = [];
  const logger = pino({ level, base: { service: 'image-policy-service' } }, { write: (chunk: string) => void chunks.push(chunk) });
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
};
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('access log', () => {
  it('writes one JSON line per request, in the logger\'s shape, with each request\'s own fields', async () => {
    const { logger, lines } = capture();
    const log = createAccessLog(logger);
    const before = Date.now();
    log({ method: 'GET', route: '/v1/references/parse', status: 200, ms: 0.12 });
    log({ method: 'POST', route: '/v1/references/parse', status: 400, ms: 1.5, key: 'ci "robot"' });
    log({ method: 'GET', route: 'unmatched', status: 404, ms: 0.05 });
    await nextTurn();
    const written = lines();
    expect(written.map(({ time, ...rest }) => rest)).toEqual([
      { level: 30, service: 'image-policy-service', method: 'GET', route: '/v1/references/parse', status: 200, ms: 0.12, msg: 'request' },
      { level: 30, service: 'image-policy-service', method: 'POST', route: '/v1/references/parse', status: 400, ms: 1.5, key: 'ci "robot"', msg: 'request' },
      { level: 30, service: 'image-policy-service', method: 'GET', route: 'unmatched', status: 404, ms: 0.05, msg: 'request' },
    ]);
    for (const { time } of written) {
      expect(new Date(time as string).toISOString()).toBe(time);
      expect(Date.parse(time as string)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(time as string)).toBeLessThanOrEqual(Date.now());
    }
  });

  it('writes nothing below level info', async () => {
    const { logger, lines } = capture('warn');
    createAccessLog(logger)({ method: 'GET', route: '/healthz', status: 200, ms: 0.1 });
    await nextTurn();
    expect(lines()).toEqual([]);
  });
});
