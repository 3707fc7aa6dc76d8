/**
 * `npm run bench`: the speed targets of the issues, measured in one run so ratios compare like with like.
 * Sections: parser (in-process), http (REST vs a bare Fastify route), digests (real registry and Redis),
 * decisions (pull decisions, plugins), plugins (the bundled plugins in-process), manifests (in-process defaulting), admission (webhook, 60 s sustained),
 * soak (BENCH_SOAK_SECONDS, default 600, of mixed traffic while the registry and Redis are killed and restarted).
 * Pass section names to run only some: `npm run bench -- parser http`.
 * The load generator shares the machine with the servers: absolute numbers are noisy, ratios are not.
 */
import { join } from 'node:path';
import { parseReference } from '../src/reference/parse.js';
import { buildCorpus } from './corpus.js';
import { benchDecisions, benchManifests, benchPluginRunner } from './decisions.js';
import { benchAdmission } from './admission.js';
import { benchDigests } from './digests.js';
import { benchSoak } from './soak.js';
import { compare, DIST_ROOT, fmt, line, load, percent, ratio, startServer } from './support.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 9); // per server, split into BENCH_ROUNDS alternating rounds

function benchParser(): void {
  const corpus = buildCorpus(20_000, join(DIST_ROOT, '..', 'test', 'fixtures', 'reference-examples.jsonl'));
  let valid = 0;
  for (const input of corpus) if (parseReference(input).ok) valid++;
  for (let i = 0; i < 5; i++) for (const input of corpus) parseReference(input); // warm up the JIT
  const started = process.hrtime.bigint();
  let parsed = 0;
  while (process.hrtime.bigint() - started < 2_000_000_000n) {
    for (const input of corpus) parseReference(input);
    parsed += corpus.length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = parsed / seconds;
  line('parser: mixed corpus', `${fmt(corpus.length)} references, ${Math.round((valid / corpus.length) * 100)} % valid`);
  line('parser: references per second (target >= 1,000,000)', `${fmt(rate)} ${rate >= 1_000_000 ? 'PASS' : 'FAIL'}`);

  const hostile = ['a' + '-'.repeat(100_000), 'a/'.repeat(50_000) + '!', '[' + ':'.repeat(99_998) + '/a', 'A'.repeat(100_000)];
  let worst = 0;
  for (const input of hostile) {
    const t = performance.now();
    parseReference(input);
    worst = Math.max(worst, performance.now() - t);
  }
  line('parser: worst hostile 100 000-character input', `${worst.toFixed(2)} ms`);
}

async function benchHttp(): Promise<void> {
  const reference = 'ghcr.io/org/app:1.2.3';
  const service = await startServer(join(DIST_ROOT, 'src', 'main.js'), { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' });
  const bare = await startServer(join(DIST_ROOT, 'bench', 'bare-fastify.js'), { BENCH_REFERENCE: reference });
  const nest = await startServer(join(DIST_ROOT, 'bench', 'nest-minimal.js'), { BENCH_REFERENCE: reference });
  const quiet = await startServer(join(DIST_ROOT, 'src', 'main.js'), { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', ACCESS_LOG: 'off' });
  try {
    const path = `/v1/references/parse?reference=${encodeURIComponent(reference)}`;
    const check = await (await fetch(service.url + path)).text();
    const bareCheck = await (await fetch(bare.url + path)).text();
    if (check !== bareCheck) throw new Error(`bare route answers differently:\n${check}\n${bareCheck}`);
    await load({ url: service.url + path, durationSeconds: 2 }); // warm-up
    await load({ url: bare.url + path, durationSeconds: 2 });
    await load({ url: nest.url + path, durationSeconds: 2 });
    await load({ url: quiet.url + path, durationSeconds: 2 });
    const [bareResult, nestResult, serviceResult, quietResult] = await compare(
      [{ url: bare.url + path }, { url: nest.url + path }, { url: service.url + path }, { url: quiet.url + path }],
      DURATION,
    );
    const getRatio = ratio(serviceResult, bareResult);
    line('http: bare Fastify GET, requests/s', `${fmt(bareResult.requestsPerSecond)} (p99 ${bareResult.latencyP99Ms} ms)`);
    line('http: minimal NestJS app GET (same JSON), requests/s', `${fmt(nestResult.requestsPerSecond)} (${percent(ratio(nestResult, bareResult))} of bare)`);
    line('http: GET /v1/references/parse, requests/s', `${fmt(serviceResult.requestsPerSecond)} (p99 ${serviceResult.latencyP99Ms} ms, non-2xx ${serviceResult.non2xx})`);
    line('http: GET ratio to bare Fastify (target >= 70 %)', `${percent(getRatio)} ${getRatio >= 0.7 ? 'PASS' : 'FAIL'}`);
    line('http: the same with ACCESS_LOG=off (for information)', `${fmt(quietResult.requestsPerSecond)} (${percent(ratio(quietResult, bareResult))} of bare)`);
    // Repeated questions are answered from the kept answers (ReferenceService.parseShared); here none repeats.
    const distinctPath = (n: number) => ({ path: `/v1/references/parse?reference=ghcr.io%2Forg%2Fapp-${n}%3A1.2.3` });
    const [bareDistinct, serviceDistinct] = await compare([{ url: bare.url, requestOf: distinctPath }, { url: service.url, requestOf: distinctPath }], Math.max(2, Math.round(DURATION / 2)), 3);
    line('http: GET, every reference new (for information), requests/s', `${fmt(serviceDistinct.requestsPerSecond)} (${percent(ratio(serviceDistinct, bareDistinct))} of bare on the same load, non-2xx ${serviceDistinct.non2xx})`);

    const batch = buildCorpus(1_000);
    const body = JSON.stringify({ references: batch });
    await load({ url: `${service.url}/v1/references/parse`, method: 'POST', body, durationSeconds: 2, connections: 8 });
    const post = await load({ url: `${service.url}/v1/references/parse`, method: 'POST', body, durationSeconds: DURATION, connections: 8 });
    const refsPerSecond = post.requestsPerSecond * batch.length;
    line('http: POST 1 000 references, requests/s', `${fmt(post.requestsPerSecond)} (p99 ${post.latencyP99Ms} ms, non-2xx ${post.non2xx})`);
    line('http: POST references per second (target >= 250,000)', `${fmt(refsPerSecond)} ${refsPerSecond >= 250_000 ? 'PASS' : 'FAIL'}`);
    // The same batch again is answered from kept answers; here every batch is new (the corpus, renamed per request).
    const fresh = (n: number) => ({ body: JSON.stringify({ references: batch.map((reference) => reference.replace(/^([a-z0-9.-]*[a-z0-9])/, `$1-${n}`)) }) });
    const newBatches = await load({ url: `${service.url}/v1/references/parse`, method: 'POST', requestOf: fresh, durationSeconds: Math.max(2, Math.round(DURATION / 2)), connections: 8 });
    line('http: POST, every batch new (for information), references/s', `${fmt(newBatches.requestsPerSecond * batch.length)} (non-2xx ${newBatches.non2xx})`);
  } finally {
    await Promise.all([service.stop(), bare.stop(), nest.stop(), quiet.stop()]);
  }
}

const SECTIONS: Record<string, () => void | Promise<void>> = {
  parser: benchParser,
  http: benchHttp,
  digests: () => benchDigests(DURATION),
  decisions: () => benchDecisions(DURATION),
  plugins: benchPluginRunner,
  manifests: benchManifests,
  admission: () => benchAdmission(DURATION, Number(process.env.BENCH_SUSTAIN_SECONDS ?? 60)),
  soak: () => benchSoak(Number(process.env.BENCH_SOAK_SECONDS ?? 600)),
};
const wanted = process.argv.slice(2).filter((arg) => arg in SECTIONS);
for (const name of wanted.length ? wanted : Object.keys(SECTIONS)) {
  process.stdout.write(`\n== ${name}\n`);
  await SECTIONS[name]();
}
