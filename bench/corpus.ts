import { readFileSync } from 'node:fs';

const REGISTRIES = ['', 'docker.io/', 'ghcr.io/', 'quay.io/', 'registry.k8s.io/', 'localhost:5000/', 'harbor.corp.example.com:8443/', '[2001:db8::1]:5000/', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/'];
const PATHS = ['nginx', 'library/redis', 'org/app', 'team/service/api', 'kube-apiserver', 'bitnami/postgresql', 'my_org/web-frontend', 'a/b/c/d'];
const TAGS = ['', ':latest', ':1.25.3', ':v2.1.0-alpine', ':Latest', ':sha-3f2a1b', ':2024.11.29_build-17'];
const DIGEST = '@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
const INVALID = ['Nginx', 'nginx:', 'foo__-bar', 'https://docker.io/nginx', 'ubuntu@sha256:abc', 'org/App:1', 'a..b/c', 'image name', 'foo:bar:baz', `ubuntu@sha256:${'A'.repeat(64)}`, 'registry.example.com//app'];

/** A realistic mixed corpus (about 80 % valid, 20 % invalid) plus Kubernetes' own test vectors. */
export function buildCorpus(size = 20_000, vectorsFile?: string): string[] {
  const corpus: string[] = [];
  let seed = 42;
  const next = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    return seed % n;
  };
  while (corpus.length < size) {
    if (next(5) === 0) {
      corpus.push(INVALID[next(INVALID.length)]);
    } else {
      const digest = next(4) === 0 ? DIGEST : '';
      corpus.push(REGISTRIES[next(REGISTRIES.length)] + PATHS[next(PATHS.length)] + TAGS[next(TAGS.length)] + digest);
    }
  }
  if (vectorsFile) {
    for (const line of readFileSync(vectorsFile, 'utf8').trim().split('\n')) corpus.push((JSON.parse(line) as { input: string }).input);
  }
  return corpus;
}
