/**
 * JSON schemas of `POST /v1/pull-decisions` (a hot route with a speed target): Fastify compiles them
 * once, ajv checks the body strictly (no coercion, unknown properties rejected) and fast-json-stringify
 * writes the answer. The semantic checks (policy names, allowlist entries, digests) are the pure core's.
 * decision.dto.ts documents the same shapes for OpenAPI and GraphQL; decision.schemas.spec.ts checks
 * that the response schema drops no field of a decision.
 */
import { MAX_DOCKERCONFIGJSON_LENGTH, MAX_IMAGE_LENGTH, MAX_VERSION_LENGTH } from '../common/limits.js';
import { pluginReportSchema } from '../plugin-host/plugin.dto.js';
import { UPDATE_MODES } from '../pull-policy/manifests.js';
import { PULLED_BY } from './decision.types.js';

/**
 * Bounds that keep one request cheap; a node rarely has more than a few hundred images. decision.dto.ts
 * (class-validator, OpenAPI, GraphQL) and the schemas below both read them; the bounds other modules share
 * live in common/limits.ts.
 */
export const LIMITS = {
  imageLength: MAX_IMAGE_LENGTH,
  versionLength: MAX_VERSION_LENGTH,
  nodeImages: 10_000,
  referencesPerImage: 100,
  credentialsPerImage: 100,
  /**
   * Secrets a pod names in imagePullSecrets, and Secrets or service accounts a manifests request describes:
   * mostly metadata (namespace, name, uid, hash) the credential checks match, content optional. Not the
   * digest lookup's MAX_PULL_SECRETS_PER_LOOKUP (20, registry/digest.dto.ts): those are all docker configs
   * tried against the registry.
   */
  describedSecrets: 100,
  secretHashLength: 256,
  allowlist: 1_000,
  dockerconfigjsonLength: MAX_DOCKERCONFIGJSON_LENGTH,
  batch: 1_000,
} as const;

const string = { type: 'string' } as const;
const boolean = { type: 'boolean' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const stringArray = (maxItems: number) => ({ type: 'array', maxItems, items: string }) as const;

const secretSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    namespace: string,
    name: string,
    uid: string,
    hash: { type: 'string', maxLength: LIMITS.secretHashLength },
    dockerconfigjson: { type: 'string', maxLength: LIMITS.dockerconfigjsonLength },
  },
} as const;

const serviceAccountSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { namespace: string, name: string, uid: string },
} as const;

const pulledWithSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { anonymous: boolean, secret: secretSchema, serviceAccount: serviceAccountSchema, repository: string },
} as const;

const nodeImageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['references'],
  properties: {
    references: stringArray(LIMITS.referencesPerImage),
    digest: string,
    pulledBy: { type: 'string', enum: PULLED_BY },
    pulledWith: { type: 'array', maxItems: LIMITS.credentialsPerImage, items: pulledWithSchema },
  },
} as const;

export const nodeSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    images: { type: 'array', maxItems: LIMITS.nodeImages, items: nodeImageSchema },
    platform: string,
    credentialVerification: {
      type: 'object',
      additionalProperties: false,
      properties: { enabled: boolean, policy: string, allowlist: stringArray(LIMITS.allowlist) },
    },
    inspectError: string,
    // Semantics (the supported releases, the accepted spellings) are kubelet-versions.ts's, with its 400 text.
    kubeletVersion: { type: 'string', maxLength: LIMITS.versionLength },
  },
} as const;

const podSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    namespace: string,
    name: string,
    imagePullSecrets: { type: 'array', maxItems: LIMITS.describedSecrets, items: secretSchema },
    serviceAccount: serviceAccountSchema,
  },
} as const;

export const registrySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { available: boolean, exists: boolean, authorized: boolean, digest: string, platforms: stringArray(100) },
} as const;

export const pullDecisionBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['image'],
  properties: {
    image: { type: 'string', maxLength: LIMITS.imageLength },
    imagePullPolicy: nullableString,
    alwaysPullImages: boolean,
    node: nodeSchema,
    pod: podSchema,
    registry: registrySchema,
    detectDrift: boolean,
    context: { type: 'object' },
  },
} as const;

export const pullDecisionsBatchBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['decisions'],
  properties: { decisions: { type: 'array', minItems: 1, maxItems: LIMITS.batch, items: pullDecisionBodySchema } },
} as const;

// ---------------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------------

const eventSchema = {
  type: 'object',
  required: ['type', 'reason', 'message'],
  properties: { type: string, reason: string, message: string },
} as const;

const errorBodySchema = { type: 'object', required: ['code', 'message'], properties: { code: string, message: string } } as const;

const featureGateSchema = {
  type: 'object',
  required: ['enabled', 'byDefault', 'stage', 'source'],
  properties: { enabled: boolean, byDefault: boolean, stage: string, source: string },
} as const;

const kubeletSchema = {
  type: 'object',
  required: ['version', 'assumed', 'featureGates'],
  properties: {
    version: string,
    assumed: boolean,
    featureGates: {
      type: 'object',
      required: ['KubeletEnsureSecretPulledImages', 'ImageVolume'],
      properties: { KubeletEnsureSecretPulledImages: featureGateSchema, ImageVolume: featureGateSchema },
    },
  },
} as const;

export const pullDecisionSchema = {
  type: 'object',
  required: [
    'image', 'imagePullPolicy', 'policySource', 'action', 'reason', 'message', 'pullReference', 'resolvedDigest', 'localDigest',
    'credentialVerification', 'kubelet', 'registry', 'event', 'events', 'waiting', 'backOff', 'plugins', 'warnings',
  ],
  properties: {
    image: string,
    imagePullPolicy: string,
    policySource: string,
    action: string,
    reason: string,
    message: string,
    pullReference: nullableString,
    resolvedDigest: nullableString,
    localDigest: nullableString,
    credentialVerification: {
      type: 'object',
      required: ['enabled', 'policy', 'required', 'outcome', 'rule', 'message', 'assumed'],
      properties: { enabled: boolean, policy: nullableString, required: boolean, outcome: string, rule: string, message: string, assumed: { type: 'array', items: string } },
    },
    kubelet: kubeletSchema,
    registry: {
      type: 'object',
      required: ['consulted', 'source', 'reference', 'status', 'digest', 'stale', 'error'],
      properties: {
        consulted: boolean,
        source: nullableString,
        reference: nullableString,
        status: nullableString,
        digest: nullableString,
        stale: boolean,
        error: { ...errorBodySchema, type: ['object', 'null'] },
      },
    },
    event: { ...eventSchema, type: ['object', 'null'] },
    events: { type: 'array', items: eventSchema },
    waiting: { type: ['object', 'null'], required: ['reason', 'message'], properties: { reason: string, message: string } },
    backOff: {
      type: ['object', 'null'],
      required: ['reason', 'message', 'delaysSeconds'],
      properties: { reason: string, message: string, delaysSeconds: { type: 'array', items: { type: 'integer' } } },
    },
    plugins: { type: 'array', items: pluginReportSchema },
    warnings: { type: 'array', items: string },
  },
} as const;

export const pullDecisionsBatchResponseSchema = {
  type: 'object',
  required: ['results'],
  properties: {
    results: {
      type: 'array',
      items: { type: 'object', required: ['ok'], properties: { ok: boolean, decision: pullDecisionSchema, error: errorBodySchema } },
    },
  },
} as const;

const manifestInput = { anyOf: [{ type: 'string' }, { type: 'object' }, { type: 'array' }] } as const;

export const manifestDecisionsBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['manifests'],
  properties: {
    manifests: manifestInput,
    previous: manifestInput,
    alwaysPullImages: boolean,
    update: { type: 'string', enum: UPDATE_MODES },
    namespace: string,
    node: nodeSchema,
    registry: registrySchema,
    detectDrift: boolean,
    secrets: { type: 'array', maxItems: LIMITS.describedSecrets, items: secretSchema },
    serviceAccounts: { type: 'array', maxItems: LIMITS.describedSecrets, items: serviceAccountSchema },
    // The API server's release and gates (pull-policy/kubernetes-release.ts checks the values and names the range).
    kubernetesVersion: { type: 'string', maxLength: LIMITS.versionLength },
    featureGates: { type: 'object', additionalProperties: false, properties: { ImageVolume: boolean } },
  },
} as const;
