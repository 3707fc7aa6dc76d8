/**
 * The yardstick for HTTP benchmarks: a bare Fastify server answering the same JSON as the service,
 * with no parsing, validation, logging or metrics. Started as a child process by bench/run.ts.
 */
import Fastify from 'fastify';
import { parseReference } from '../src/reference/parse.js';

const port = Number(process.env.PORT ?? 3001);
const fastify = Fastify({ logger: false });
const sample = parseReference(process.env.BENCH_REFERENCE ?? 'ghcr.io/org/app:1.2.3');
const answer = sample.ok ? sample.reference : {};
const digestAnswer = process.env.BENCH_DIGEST_ANSWER ? JSON.parse(process.env.BENCH_DIGEST_ANSWER) : {};

fastify.get('/healthz', async () => ({ status: 'ok' }));
fastify.get('/v1/references/parse', async () => answer);
fastify.get('/v1/digests', async () => digestAnswer);
// Echoes nothing of the request: answers a fixed body of the size the service answers (JSON parsed and re-serialised).
const echoAnswer = process.env.BENCH_ECHO_BODY ? JSON.parse(process.env.BENCH_ECHO_BODY) : {};
fastify.post('/echo', async () => echoAnswer);
await fastify.listen({ port, host: '127.0.0.1' });
