/**
 * The mutate webhook (issue 6): a 10-container Pod with warm caches and the bundled plugins against a bare
 * Fastify route answering a same-size JSON body, then a sustained load at 80 % of the measured maximum
 * checking for errors and memory growth.
 */
import { join } from 'node:path';
import { compare, DIST_ROOT, fmt, line, load, percent, ratio, startServer } from './support.js';

const MAIN = join(DIST_ROOT, 'src', 'main.js');
const ROOT = join(DIST_ROOT, '..');

function podReview(): string {
  const containers = Array.from({ length: 10 }, (_, i) => ({
    name: `c${i}`,
    image: i % 3 === 0 ? `nginx:1.${i}` : i % 3 === 1 ? `ghcr.io/org/app-${i}:v${i}` : `quay.io/team/svc-${i}@sha256:${'a'.repeat(64)}`,
    ports: [{ containerPort: 8080 + i }],
  }));
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: 'web',
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters'] },
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } }, spec: { containers } },
      oldObject: null,
      dryRun: false,
    },
  });
}

async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

export async function benchAdmission(durationSeconds: number, sustainSeconds: number): Promise<void> {
  const body = podReview();
  const service = await startServer(MAIN, { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', PLUGINS_DIR: join(ROOT, 'plugins') });
  try {
    const answer = await (await fetch(`${service.url}/v1/admission/mutate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
    const parsed = JSON.parse(answer) as { response?: { allowed?: boolean; patchType?: string } };
    if (parsed.response?.allowed !== true) throw new Error(`unexpected admission answer: ${answer.slice(0, 300)}`);
    const bare = await startServer(join(DIST_ROOT, 'bench', 'bare-fastify.js'), { BENCH_ECHO_BODY: answer });
    try {
      await load({ url: `${bare.url}/echo`, method: 'POST', body, durationSeconds: 2 });
      await load({ url: `${service.url}/v1/admission/mutate`, method: 'POST', body, durationSeconds: 2 });
      const [bareResult, mutate] = await compare(
        [
          { url: `${bare.url}/echo`, method: 'POST', body },
          { url: `${service.url}/v1/admission/mutate`, method: 'POST', body },
        ],
        durationSeconds,
      );
      const mutateRatio = ratio(mutate, bareResult);
      line('admission: bare Fastify POST, same-size answer, requests/s', fmt(bareResult.requestsPerSecond));
      line('admission: POST /v1/admission/mutate (10 containers), requests/s', `${fmt(mutate.requestsPerSecond)} (p99 ${mutate.latencyP99Ms} ms, non-2xx ${mutate.non2xx})`);
      line('admission: ratio to bare Fastify (target >= 30 %)', `${percent(mutateRatio)} ${mutateRatio >= 0.3 ? 'PASS' : 'FAIL'}`);

      // Sustained: 80 % of the maximum for sustainSeconds, memory sampled before and after.
      const rate = Math.floor(mutate.requestsPerSecond * 0.8);
      const rssBefore = await rssOf(service.pid);
      const sustained = await load({ url: `${service.url}/v1/admission/mutate`, method: 'POST', body, durationSeconds: sustainSeconds, overallRate: rate });
      const rssAfter = await rssOf(service.pid);
      const ok = sustained.errors === 0 && sustained.non2xx === 0 && rssAfter < rssBefore * 1.5 + 20;
      line(`admission: ${sustainSeconds} s at ${fmt(rate)} requests/s (80 %)`, `${fmt(sustained.requestsPerSecond)} requests/s, errors ${sustained.errors}, non-2xx ${sustained.non2xx}, p99 ${sustained.latencyP99Ms} ms`);
      line('admission: resident memory before → after the sustained load', `${Math.round(rssBefore)} MiB → ${Math.round(rssAfter)} MiB ${ok ? 'PASS' : 'FAIL'}`);
    } finally {
      await bare.stop();
    }
  } finally {
    await service.stop();
  }
}
