/**
 * The deployment files cannot run here (no Kubernetes, no Docker): check what can be checked. Every manifest
 * parses and has the fields its Kubernetes kind requires, the objects refer to each other consistently
 * (selectors, ports, volumes, the webhooks' Service and paths), the service's own configuration in them is
 * valid for the service, and the compose files parse.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseApiKeys } from '../src/auth/api-keys.js';
import { loadConfig } from '../src/config/config.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const K8S = join(ROOT, 'deploy/kubernetes');
type Obj = Record<string, any>;

function documents(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(join(K8S, file), 'utf8'));
  for (const doc of docs) expect(doc.errors, file).toEqual([]);
  return docs.map((doc) => doc.toJS() as Obj).filter((doc) => doc !== null);
}

const kustomization = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
const objects = [...kustomization.resources, 'gatekeeper-provider.yaml'].flatMap((file) => documents(file).map((object) => ({ file, object })));
const find = (kind: string, name?: string): Obj[] => objects.map((o) => o.object).filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const one = (kind: string, name?: string): Obj => {
  const found = find(kind, name);
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0];
};

/** A container's environment as the kubelet builds it: literal values, and `secretKeyRef`s read from the manifests' Secrets. */
function containerEnv(container: Obj): Record<string, string> {
  return Object.fromEntries(
    container.env.map((e: Obj) => {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref === undefined) return [e.name, e.value];
      const secret = one('Secret', ref.name);
      return [e.name, secret.stringData?.[ref.key] ?? Buffer.from(secret.data?.[ref.key] ?? '', 'base64').toString('utf8')];
    }),
  );
}

/** Compose's required variables (`${VAR:?message}`) filled in from `shell`, as `docker compose` does; each must be given. */
function composeEnv(environment: Record<string, string>, shell: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [
      name,
      String(value).replace(/\$\{(\w+):\?[^}]*\}/g, (_match, variable: string) => {
        expect(shell[variable], `${name} needs ${variable}`).toBeDefined();
        return shell[variable];
      }),
    ]),
  );
}

/** CACHE_KEY_SECRET in compose: required from the shell (or an env file), never a literal in the file. */
const REQUIRED_CACHE_KEY_SECRET = /^\$\{CACHE_KEY_SECRET:\?[^}]+\}$/;
const SHELL = { CACHE_KEY_SECRET: randomBytes(32).toString('hex') };

const CLUSTER_SCOPED = new Set(['Namespace', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'Provider']);
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAMESPACE = 'image-policy';
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe('Kubernetes manifests', () => {
  it('lists only files that exist, and every YAML file of the folder is used or documented', () => {
    for (const file of kustomization.resources) expect(existsSync(join(K8S, file)), file).toBe(true);
    const yamlFiles = readdirSync(K8S).filter((f) => f.endsWith('.yaml'));
    expect(yamlFiles.filter((f) => ![...kustomization.resources, 'kustomization.yaml', 'gatekeeper-provider.yaml', 'apiserver-admission-config.yaml'].includes(f))).toEqual([]);
  });

  it('every object has apiVersion, kind, a valid name and (when namespaced) the namespace', () => {
    expect(objects.length).toBeGreaterThanOrEqual(14);
    for (const { file, object } of objects) {
      expect(typeof object.apiVersion, file).toBe('string');
      expect(typeof object.kind, file).toBe('string');
      expect(object.metadata?.name, `${file} ${object.kind}`).toMatch(DNS1123);
      if (CLUSTER_SCOPED.has(object.kind)) expect(object.metadata.namespace, `${file} ${object.kind}`).toBeUndefined();
      else expect(object.metadata.namespace, `${file} ${object.kind} ${object.metadata.name}`).toBe(NAMESPACE);
    }
  });

  it('uses the API versions Kubernetes serves for each kind', () => {
    const expected: Record<string, string> = {
      Namespace: 'v1', ServiceAccount: 'v1', ConfigMap: 'v1', Secret: 'v1', Service: 'v1', Deployment: 'apps/v1', PodDisruptionBudget: 'policy/v1',
      NetworkPolicy: 'networking.k8s.io/v1', MutatingWebhookConfiguration: 'admissionregistration.k8s.io/v1', ValidatingWebhookConfiguration: 'admissionregistration.k8s.io/v1',
      Issuer: 'cert-manager.io/v1', Certificate: 'cert-manager.io/v1', Provider: 'externaldata.gatekeeper.sh/v1beta1',
    };
    for (const { object } of objects) expect(`${object.kind} ${object.apiVersion}`).toBe(`${object.kind} ${expected[object.kind]}`);
  });

  it('Deployments: selector matches the template, containers have images and ports, mounts have volumes', () => {
    expect(find('Deployment').length).toBeGreaterThan(0); // the loop below checks something
    for (const deployment of find('Deployment')) {
      const name = deployment.metadata.name;
      expect(matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels), name).toBe(true);
      const pod = deployment.spec.template.spec;
      const volumes = new Set((pod.volumes ?? []).map((v: Obj) => v.name));
      for (const container of pod.containers) {
        expect(container.name, name).toMatch(DNS1123);
        expect(container.image, name).toMatch(/^[a-z0-9./-]+(:[\w.-]+)?$/);
        expect(['Always', 'IfNotPresent', 'Never']).toContain(container.imagePullPolicy);
        expect(container.ports.length, name).toBeGreaterThan(0);
        const portNames = new Set(container.ports.map((p: Obj) => p.name));
        for (const port of container.ports) expect(Number.isInteger(port.containerPort) && port.containerPort > 0 && port.containerPort < 65536, name).toBe(true);
        for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          const port = container[probe]?.httpGet?.port ?? container[probe]?.tcpSocket?.port;
          if (typeof port === 'string') expect(portNames.has(port), `${name} ${probe}`).toBe(true);
        }
        for (const mount of container.volumeMounts ?? []) expect(volumes.has(mount.name), `${name} mount ${mount.name}`).toBe(true);
        expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      }
      for (const volume of pod.volumes ?? []) {
        if (volume.configMap) one('ConfigMap', volume.configMap.name);
        if (volume.secret && volume.secret.secretName !== 'image-policy-tls') one('Secret', volume.secret.secretName);
        if (volume.secret?.secretName === 'image-policy-tls') expect(one('Certificate').spec.secretName).toBe('image-policy-tls');
      }
    }
  });

  it('the service: 3 replicas, a valid configuration, Services and the PDB select it', () => {
    const deployment = one('Deployment', 'image-policy');
    expect(deployment.spec.replicas).toBe(3);
    const container = deployment.spec.template.spec.containers[0];
    const env = containerEnv(container);
    // The Secret's placeholder is too short to start with: an unedited manifest never runs with a published key.
    expect(() => loadConfig(env)).toThrow('Invalid configuration: CACHE_KEY_SECRET must be at least 32 characters');
    const config = loadConfig({ ...env, CACHE_KEY_SECRET: SHELL.CACHE_KEY_SECRET }); // throws naming the variable for any bad value
    expect(config).toMatchObject({ apiKeysFile: '/etc/image-policy/api-keys/keys.yaml', tlsCertFile: '/etc/image-policy/tls/tls.crt', redisUrl: expect.stringContaining('image-policy-redis') });
    expect(config.cacheKeySecret).not.toBeNull();
    expect(String(config.port)).toBe(String(container.ports[0].containerPort));
    const mounts = container.volumeMounts.map((m: Obj) => m.mountPath);
    for (const file of [config.apiKeysFile, config.tlsCertFile, config.pluginsConfig]) expect(mounts.some((m: string) => (file as string).startsWith(`${m}/`)), String(file)).toBe(true);
    // The service answers a review that runs out of time as each webhook configuration says it fails.
    expect(config.deprecations).toEqual([]);
    expect(config.admissionFailurePolicy).toEqual({
      validate: one('ValidatingWebhookConfiguration').webhooks[0].failurePolicy,
      mutate: one('MutatingWebhookConfiguration').webhooks[0].failurePolicy,
    });
    expect(config.admissionFailurePolicy.validate).toBe('Fail');
    // The pod is gone only after in-flight requests can finish.
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(config.shutdownTimeoutMs + 5_000);

    const labels = deployment.spec.template.metadata.labels;
    const service = one('Service', 'image-policy');
    expect(matches(service.spec.selector, labels)).toBe(true);
    expect(service.spec.ports[0]).toMatchObject({ port: 443, targetPort: container.ports[0].name });
    const pdb = one('PodDisruptionBudget');
    expect(matches(pdb.spec.selector.matchLabels, labels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);

    const redis = one('Deployment', 'image-policy-redis');
    const redisService = one('Service', 'image-policy-redis');
    expect(matches(redisService.spec.selector, redis.spec.template.metadata.labels)).toBe(true);
    expect(matches(redisService.spec.selector, labels)).toBe(false);
  });

  it('CACHE_KEY_SECRET comes from a Secret in the kustomization (secretKeyRef, not optional), never from a literal value', () => {
    const container = one('Deployment', 'image-policy').spec.template.spec.containers[0];
    const entries = container.env.filter((e: Obj) => e.name === 'CACHE_KEY_SECRET');
    expect(entries).toHaveLength(1);
    expect(entries[0].value).toBeUndefined();
    expect(entries[0].valueFrom).toEqual({ secretKeyRef: { name: 'image-policy-cache-key', key: 'CACHE_KEY_SECRET' } });
    expect(kustomization.resources).toContain('secret-cache-key.yaml');
    const secret = one('Secret', 'image-policy-cache-key');
    expect(secret.type).toBe('Opaque');
    expect(Object.keys(secret.stringData ?? secret.data ?? {})).toEqual(['CACHE_KEY_SECRET']);
    for (const { object } of objects) {
      if (object.kind === 'Secret') continue;
      expect(JSON.stringify(object), `${object.kind} ${object.metadata.name}`).not.toContain(secret.stringData.CACHE_KEY_SECRET);
    }
  });

  it('the plugin ConfigMap and the API key Secret are what the service reads', () => {
    const plugins = parse(one('ConfigMap', 'image-policy-plugins').data['plugins.yaml']) as { plugins: { name: string }[] };
    const bundled = readdirSync(join(ROOT, 'plugins')).map((f) => f.replace(/\.(js|mjs|cjs|ts)$/, ''));
    for (const plugin of plugins.plugins) expect(bundled, plugin.name).toContain(plugin.name);
    const keys = parseApiKeys(parse(one('Secret', 'image-policy-api-keys').stringData['keys.yaml']));
    expect(keys.map((k) => [k.name, [...k.scopes]])).toEqual([['portal', ['read', 'resolve']], ['ci', ['read']], ['apiserver', ['admission']]]);
  });

  it('webhooks: required fields, the Service, the routes, failure policies and a namespace selector that excludes the service', () => {
    const service = one('Service', 'image-policy');
    const mutating = one('MutatingWebhookConfiguration');
    const validating = one('ValidatingWebhookConfiguration');
    for (const [configuration, path, failurePolicy] of [[mutating, '/v1/admission/mutate', 'Ignore'], [validating, '/v1/admission/validate', 'Fail']] as const) {
      expect(configuration.webhooks.length).toBe(1);
      for (const webhook of configuration.webhooks) {
        expect(webhook.name.split('.').length).toBeGreaterThanOrEqual(3); // a fully qualified name
        expect(webhook.admissionReviewVersions).toContain('v1');
        expect(['None', 'NoneOnDryRun']).toContain(webhook.sideEffects);
        expect(webhook.failurePolicy).toBe(failurePolicy);
        expect(webhook.timeoutSeconds).toBeGreaterThanOrEqual(1);
        expect(webhook.timeoutSeconds).toBeLessThanOrEqual(30);
        expect(webhook.timeoutSeconds * 1000).toBeGreaterThan(2500); // ADMISSION_TIMEOUT_MS fits
        expect(webhook.clientConfig.service).toEqual({ name: service.metadata.name, namespace: NAMESPACE, path, port: service.spec.ports[0].port });
        expect(webhook.clientConfig.url).toBeUndefined();
        expect(typeof webhook.clientConfig.caBundle).toBe('string'); // placeholder, injected by cert-manager
        expect(configuration.metadata.annotations['cert-manager.io/inject-ca-from']).toBe(`${NAMESPACE}/image-policy-tls`);
        const resources = webhook.rules.flatMap((rule: Obj) => {
          expect(rule.operations).toEqual(['CREATE', 'UPDATE']);
          expect(rule.apiVersions).toEqual(['v1']);
          return rule.apiGroups.flatMap((group: string) => rule.resources.map((resource: string) => `${group}/${resource}`));
        });
        // pods/ephemeralcontainers: images added by kubectl debug are checked too.
        expect(resources.sort()).toEqual(['/pods', '/pods/ephemeralcontainers', '/podtemplates', '/replicationcontrollers', 'apps/daemonsets', 'apps/deployments', 'apps/replicasets', 'apps/statefulsets', 'batch/cronjobs', 'batch/jobs'].sort());
        const excluded = webhook.namespaceSelector.matchExpressions.find((e: Obj) => e.key === 'kubernetes.io/metadata.name');
        expect(excluded).toMatchObject({ operator: 'NotIn' });
        expect(excluded.values).toEqual(expect.arrayContaining([NAMESPACE, 'kube-system']));
      }
    }
  });

  it('the Gatekeeper providers point at the external-data routes over https', () => {
    expect(find('Provider').map((p) => p.spec.url)).toEqual([
      'https://image-policy.image-policy.svc:443/v1/externaldata',
      'https://image-policy.image-policy.svc:443/v1/externaldata/pinned',
    ]);
  });

  it('the API server admission configuration parses', () => {
    const [admission, kubeconfig] = documents('apiserver-admission-config.yaml');
    expect(admission.kind).toBe('AdmissionConfiguration');
    expect(kubeconfig.users[0].name).toBe('image-policy.image-policy.svc');
  });
});

describe('compose files', () => {
  it('docker-compose.yml parses', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as Obj;
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['image-policy', 'redis']));
    const environment = compose.services['image-policy'].environment;
    expect(environment.CACHE_KEY_SECRET).toMatch(REQUIRED_CACHE_KEY_SECRET);
    expect(loadConfig(composeEnv(environment, SHELL))).toMatchObject({ redisUrl: 'redis://redis:6379', cacheKeySecret: expect.anything() });
  });

  it('docker-compose.prod.yml: two replicas with keys behind nginx, Redis and a registry', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.prod.yml'), 'utf8'), { merge: true }) as Obj;
    expect(Object.keys(compose.services).sort()).toEqual(['image-policy-1', 'image-policy-2', 'lb', 'redis', 'registry']);
    for (const name of ['image-policy-1', 'image-policy-2']) {
      const service = compose.services[name];
      expect(service.environment.CACHE_KEY_SECRET).toMatch(REQUIRED_CACHE_KEY_SECRET); // one value for both replicas
      const config = loadConfig(composeEnv(service.environment, SHELL));
      expect(config.cacheKeySecret).not.toBeNull();
      expect(config.apiKeysFile).toBe('/run/secrets/api-keys.yaml');
      expect(config.redisUrl).toBe('redis://redis:6379');
      expect(service.volumes.some((v: string) => v.endsWith(':/run/secrets/api-keys.yaml:ro'))).toBe(true);
    }
    const nginx = readFileSync(join(ROOT, 'deploy/compose/nginx.conf'), 'utf8');
    expect(nginx).toContain('server image-policy-1:3000');
    expect(nginx).toContain('server image-policy-2:3000');
    expect(parseApiKeys(parse(readFileSync(join(ROOT, 'deploy/compose/api-keys.example.yaml'), 'utf8'))).length).toBe(3);
  });
});
