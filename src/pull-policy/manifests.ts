/**
 * imagePullPolicy defaulting for whole Kubernetes manifests, as the API server would store them.
 * Pure: no I/O, no Nest. (kubernetes-semantics.md sections 1 and 2.)
 *
 * Input: YAML text (one or many documents), JSON text, one object or a list of objects; `List` objects
 * (and `<Kind>List` objects with `items`) are walked item by item. The answer has the same form as the
 * input: YAML text keeps every comment, the key order, quoting and layout, because only the inserted or
 * changed `imagePullPolicy` values are written into the original text.
 *
 * Workloads (every kind with a pod template, in its Kubernetes API group): Pod (`spec`), PodTemplate
 * (`template.spec`), ReplicationController, ReplicaSet, Deployment, StatefulSet, DaemonSet, Job
 * (`spec.template.spec`) and CronJob (`spec.jobTemplate.spec.template.spec`), with their `initContainers`,
 * `containers` and `ephemeralContainers`. Everything else passes through untouched.
 *
 * Updates (`previous`): the default only fills an empty field, and `kubectl apply`, patches, `kubectl set
 * image` and server-side apply merge onto the stored object, so the stored policy is kept when the new
 * manifest does not set one (`reason: Kept`), with a warning when a fresh create would now default
 * differently. Two cases re-default instead, as the API server does: the field was set in the last applied
 * configuration and the new manifest drops it (apply deletes it), and `update: "replace"` (a full PUT).
 * `previous` may be the previously applied manifest or the live object (`kubectl get -o yaml`); a live
 * object (it has `metadata.uid`, `resourceVersion` or `creationTimestamp`) is read together with its
 * `kubectl.kubernetes.io/last-applied-configuration` annotation. A Pod's policy cannot change on update.
 *
 * AlwaysPullImages (`alwaysPullImages: true`) mutates Pods only (create, and updates that bring a new
 * image), before validation: every container, init and ephemeral container gets `Always`. Pod templates
 * keep their policy; the pods created from them get `Always`, which `podPullPolicy` reports.
 *
 * Image volumes (`volumes[].image`, KEP-4639) are reported like containers (`containerType: imageVolume`,
 * `volume`, `mountedBy`; `image`/`imagePullPolicy` are the source's `reference`/`pullPolicy`): the API server
 * defaults them with the containers' rule while its ImageVolume gate is on (SetDefaults_Volume), drops them
 * while it is off (dropImageVolumes), and does not know them before 1.31 — per `kubernetesVersion` and
 * `featureGates` (kubernetes-release.ts). See ManifestWalker.visitImageVolume.
 *
 * What the API server would reject is reported per container in `errors` with its own wording
 * (`spec.containers[0].image: Required value`, `Unsupported value`, white space in a Pod's image,
 * ephemeral containers on create or in templates); the defaults are still filled in, as defaulting runs
 * before validation.
 */
import { nestingMessage, nestsDeeperThan } from '../common/nesting.js';
import { ApiError, ErrorCode } from '../common/errors.js';
import { parseReference } from '../reference/parse.js';
import type { ParsedReference, ParseResult, PullPolicy } from '../reference/parsed-reference.js';
import {
  type DefaultOutcome,
  defaultOutcomeOf,
  hasSurroundingWhitespace,
  isPullPolicy,
  isUnsetPolicy,
  policyWarnings,
  type PullPolicyReason,
  unsupportedPullPolicyMessage,
} from './pull-policy.js';
import { applyYamlEdits, parseYamlSource, type PathSegment, type YamlFieldEdit, type YamlSource, yamlValueOf } from './yaml-source.js';
import type { PluginReport } from '../common/plugin-run.js';
import { type FeatureGatesInput, type ImageVolumeGate, imageVolumeGate, kubernetesRelease, validateFeatureGates } from './kubernetes-release.js';

/** The forms manifests are given (and answered) in. */
export const MANIFEST_FORMATS = ['yaml', 'json', 'object', 'list'] as const;
export type ManifestFormat = (typeof MANIFEST_FORMATS)[number];
/** How `previous` is updated: apply (kubectl apply, patch, set image, server-side apply) or replace (PUT). */
export const UPDATE_MODES = ['apply', 'replace'] as const;
export type UpdateMode = (typeof UPDATE_MODES)[number];
export type ContainerList = 'initContainers' | 'containers' | 'ephemeralContainers';
/** Kubernetes visits container lists in this order (`VisitContainersWithPath`). */
export const CONTAINER_LISTS: readonly ContainerList[] = ['initContainers', 'containers', 'ephemeralContainers'];
/** What a report entry is: a container of one of the lists, or an image volume (`volumes[].image`, KEP-4639). */
export type ContainerType = ContainerList | 'imageVolume';
export const CONTAINER_TYPES: readonly ContainerType[] = [...CONTAINER_LISTS, 'imageVolume'];
/**
 * The pull-policy reasons plus `Kept` (an update keeps the stored value) and `Plugin` (a rule plugin changed
 * the policy after the API server's defaulting; the walker itself never gives it, the service does).
 */
export type ContainerReason = PullPolicyReason | 'Kept' | 'Plugin';

export interface ManifestsInput {
  /** YAML or JSON text, one object, or a list of objects. */
  manifests: unknown;
  /** The same objects as they were before (applied manifest or live object): models an update. */
  previous?: unknown;
  /** Model a cluster with the AlwaysPullImages admission plugin. */
  alwaysPullImages?: boolean;
  /** How `previous` is updated: `apply` (kubectl apply, patch, set image, server-side apply; default) or `replace` (PUT). */
  update?: UpdateMode;
  /** Namespace of objects that name none (the kubectl context), as the rule plugins see it; default `default`. */
  namespace?: string;
  /** The API server's release (`1.33`, `v1.33.4`); default the newest modelled. Decides the ImageVolume gate. */
  kubernetesVersion?: string;
  /** The API server's `--feature-gates` that matter here (only ImageVolume), over the release's defaults. */
  featureGates?: FeatureGatesInput | null;
}

export interface ContainerReport {
  kind: string;
  apiVersion: string | null;
  namespace: string | null;
  name: string | null;
  /** The container's name (null for an image volume: see `volume`). */
  container: string | null;
  /** The container list, or `imageVolume` for a pod volume that mounts an image (`image` is then its `image.reference`, `imagePullPolicy` its `image.pullPolicy`). */
  containerType: ContainerType;
  /** Image volumes only: the volume's name. */
  volume?: string | null;
  /** Image volumes only: the containers (of every list) that mount the volume; a failed pull of the volume fails their start. */
  mountedBy?: string[];
  /** Field path inside the object, as the API server names it: `spec.template.spec.containers[0]`. */
  path: string;
  /** 0-based index of the YAML document (or of the element of a list / JSON array). */
  document: number;
  /** 0-based index inside a `List`'s `items`, or null. */
  item: number | null;
  image: string | null;
  /** The value the API server stores (the given value when it is invalid, so the object is rejected). */
  imagePullPolicy: string | null;
  /** What pods run with: differs from imagePullPolicy for pod templates under AlwaysPullImages. */
  podPullPolicy: PullPolicy | null;
  /** True when the API server filled the field (it was empty). */
  defaulted: boolean;
  reason: ContainerReason;
  imageValid: boolean;
  /** The matched container of `previous`, when this is an update. */
  previous: { image: string | null; imagePullPolicy: PullPolicy } | null;
  warnings: string[];
  /** Why the API server would reject the object, in its own words. Empty when it would accept it. */
  errors: string[];
  /** The rule plugins' verdicts on this container, in run order (empty when no plugin ran). */
  plugins: PluginReport[];
  /** True when a plugin denied the container (its rules reject it). */
  denied: boolean;
  /** The plugin that denied, or null. */
  deniedBy: string | null;
  /** `<plugin>: <message>` of the deny. */
  denyMessages: string[];
  /** What the API server's defaulting gave before the plugins changed the image or the policy; null when they changed nothing. */
  beforePlugins: BeforePlugins | null;
}

/** The image and policy as the API server's defaulting left them, before the rule plugins' mutations. */
export interface BeforePlugins {
  image: string | null;
  imagePullPolicy: string | null;
  reason: ContainerReason;
}

export interface ManifestsResult {
  format: ManifestFormat;
  /** The manifests in the form they were given, with imagePullPolicy filled in. */
  manifests: unknown;
  containers: ContainerReport[];
  warnings: string[];
  /** Every rejection of every object, prefixed with the object (`Deployment default/web: …`). */
  errors: string[];
  /** True when a rule plugin denied some container (see `containers[].denied`). */
  denied: boolean;
}

interface WorkloadKind {
  /** API groups the kind lives in ('' is the core group). */
  groups: readonly string[];
  /** Path from the object to its pod spec. */
  podSpec: readonly string[];
}

const TEMPLATE_SPEC = ['spec', 'template', 'spec'] as const;

/** Every kind with a pod template, in the API groups where Kubernetes serves it. */
export const WORKLOAD_KINDS: Readonly<Record<string, WorkloadKind>> = {
  Pod: { groups: [''], podSpec: ['spec'] },
  PodTemplate: { groups: [''], podSpec: ['template', 'spec'] },
  ReplicationController: { groups: [''], podSpec: TEMPLATE_SPEC },
  ReplicaSet: { groups: ['apps', 'extensions'], podSpec: TEMPLATE_SPEC },
  Deployment: { groups: ['apps', 'extensions'], podSpec: TEMPLATE_SPEC },
  StatefulSet: { groups: ['apps'], podSpec: TEMPLATE_SPEC },
  DaemonSet: { groups: ['apps', 'extensions'], podSpec: TEMPLATE_SPEC },
  Job: { groups: ['batch'], podSpec: TEMPLATE_SPEC },
  CronJob: { groups: ['batch'], podSpec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'] },
};

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const POD_UPDATE_FORBIDDEN =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,' +
  '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

function getIn(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isObject(current) && typeof segment === 'string' && Object.hasOwn(current, segment)) current = current[segment];
    else return undefined;
  }
  return current;
}

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function groupOf(apiVersion: string | null): string | null {
  if (apiVersion === null) return null;
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function isListObject(object: JsonObject): boolean {
  const kind = object.kind;
  return typeof kind === 'string' && (kind === 'List' || kind.endsWith('List')) && Array.isArray(object.items);
}

interface ObjectIdentity {
  kind: string;
  apiVersion: string | null;
  namespace: string | null;
  name: string | null;
}

function identityOf(object: JsonObject): ObjectIdentity {
  const metadata = isObject(object.metadata) ? object.metadata : {};
  return {
    kind: stringOrNull(object.kind) ?? '',
    apiVersion: stringOrNull(object.apiVersion),
    namespace: stringOrNull(metadata.namespace),
    name: stringOrNull(metadata.name),
  };
}

function labelOf(identity: ObjectIdentity): string {
  const name = identity.name ?? '(unnamed)';
  return `${identity.kind || 'object'} ${identity.namespace === null ? '' : `${identity.namespace}/`}${name}`;
}

interface FoundObject {
  object: JsonObject;
  document: number;
  item: number | null;
  /** Path from the document root to the object. */
  path: PathSegment[];
}

/** Every object of a document: the document itself, the items of a List, or the elements of a top-level sequence. */
function collectObjects(value: unknown, document: number, warnings: string[]): FoundObject[] {
  const found: FoundObject[] = [];
  const visit = (node: unknown, path: PathSegment[], item: number | null): void => {
    if (isObject(node)) {
      if (isListObject(node)) {
        (node.items as unknown[]).forEach((child, index) => visit(child, [...path, 'items', index], index));
      } else {
        found.push({ object: node, document, item, path });
      }
    } else if (Array.isArray(node) && path.length === 0) {
      node.forEach((child, index) => visit(child, [index], index));
    } else if (node !== null && node !== undefined) {
      warnings.push(`document ${document + 1}${item === null ? '' : `, item ${item + 1}`} is not a Kubernetes object; passed through untouched`);
    }
  };
  visit(value, [], null);
  return found;
}

interface LoadedManifests {
  format: ManifestFormat;
  values: unknown[];
  yaml?: YamlSource;
  json?: { array: boolean; indent: string; trailingNewline: boolean };
}

function detectIndent(text: string): string {
  const match = /\n([ \t]+)\S/.exec(text);
  return match === null ? '' : match[1];
}

/** Reads the input in whichever form it came; object and list inputs are copied, never changed. */
export function loadManifests(input: unknown, field: string): LoadedManifests {
  if (typeof input === 'string') {
    const start = input.trimStart()[0];
    if (start === '{' || start === '[') {
      let parsed: unknown;
      let ok = true;
      try {
        parsed = JSON.parse(input);
      } catch {
        ok = false; // YAML flow style (`{kind: Pod}`) is not JSON: read it as YAML below
      }
      if (ok) {
        // JSON.parse itself is iterative; everything after it (the walker, the writer) is not.
        if (nestsDeeperThan(parsed)) throw new ApiError(ErrorCode.InvalidRequest, nestingMessage(`${field}: JSON`));
        const array = Array.isArray(parsed);
        return {
          format: 'json',
          values: array ? (parsed as unknown[]) : [parsed],
          json: { array, indent: detectIndent(input), trailingNewline: input.endsWith('\n') },
        };
      }
    }
    const yaml = parseYamlSource(input, field);
    return { format: 'yaml', values: yaml.values, yaml };
  }
  if (Array.isArray(input)) return { format: 'list', values: structuredClone(input) };
  if (isObject(input)) return { format: 'object', values: [structuredClone(input)] };
  throw new ApiError(ErrorCode.InvalidRequest, `${field} must be YAML or JSON text, a Kubernetes object or a list of objects`);
}

interface PreviousObject {
  object: JsonObject;
  identity: ObjectIdentity;
  /** What was last applied: the previous manifest itself, or a live object's last-applied annotation. */
  applied: JsonObject | null;
}

function isLiveObject(object: JsonObject): boolean {
  const metadata = isObject(object.metadata) ? object.metadata : {};
  return metadata.uid !== undefined || metadata.resourceVersion !== undefined || metadata.creationTimestamp !== undefined;
}

function lastAppliedOf(object: JsonObject): JsonObject | null {
  const annotation = getIn(object, ['metadata', 'annotations', LAST_APPLIED]);
  if (typeof annotation !== 'string') return null;
  try {
    const parsed: unknown = JSON.parse(annotation);
    return isObject(parsed) && !nestsDeeperThan(parsed) ? parsed : null; // unreadable, as malformed JSON is
  } catch {
    return null;
  }
}

class PreviousIndex {
  private readonly byKindAndName = new Map<string, PreviousObject[]>();

  constructor(values: readonly unknown[]) {
    const ignored: string[] = [];
    values.forEach((value, document) => {
      for (const { object } of collectObjects(value, document, ignored)) {
        const identity = identityOf(object);
        if (identity.name === null) continue;
        const key = `${identity.kind}\u0000${identity.name}`;
        const entry: PreviousObject = { object, identity, applied: isLiveObject(object) ? lastAppliedOf(object) : object };
        const list = this.byKindAndName.get(key);
        if (list === undefined) this.byKindAndName.set(key, [entry]);
        else list.push(entry);
      }
    });
  }

  find(identity: ObjectIdentity): PreviousObject | null {
    if (identity.name === null) return null;
    const candidates = this.byKindAndName.get(`${identity.kind}\u0000${identity.name}`) ?? [];
    const exact = candidates.find((candidate) => (candidate.identity.namespace ?? '') === (identity.namespace ?? ''));
    if (exact !== undefined) return exact;
    // One side may leave the namespace to the kubectl context.
    const loose = candidates.filter((candidate) => candidate.identity.namespace === null || identity.namespace === null);
    return loose.length === 1 ? loose[0] : null;
  }
}

function containerNamed(object: JsonObject | null, podSpec: readonly string[], list: ContainerList, name: string | null): JsonObject | null {
  if (object === null || name === null) return null;
  const containers = getIn(object, [...podSpec, list]);
  if (!Array.isArray(containers)) return null;
  const found = containers.find((container) => isObject(container) && container.name === name);
  return isObject(found) ? found : null;
}

/** The volume of that name in the object's pod spec (`volumes` merge by name, as containers do). */
function volumeNamed(object: JsonObject | null, podSpec: readonly string[], name: string | null): JsonObject | null {
  if (object === null || name === null) return null;
  const volumes = getIn(object, [...podSpec, 'volumes']);
  if (!Array.isArray(volumes)) return null;
  const found = volumes.find((volume) => isObject(volume) && volume.name === name);
  return isObject(found) ? found : null;
}

/** Names of the containers (every list) with a volumeMount of this volume. */
function mountersOf(podSpec: JsonObject, volume: string | null): string[] {
  const names: string[] = [];
  if (volume === null) return names;
  for (const list of CONTAINER_LISTS) {
    const containers = podSpec[list];
    if (!Array.isArray(containers)) continue;
    for (const container of containers) {
      if (!isObject(container) || !Array.isArray(container.volumeMounts)) continue;
      if (container.volumeMounts.some((mount) => isObject(mount) && mount.name === volume)) names.push(stringOrNull(container.name) ?? '(unnamed)');
    }
  }
  return names;
}

function imagesOf(object: JsonObject, podSpec: readonly string[]): Set<unknown> {
  const images = new Set<unknown>();
  for (const list of CONTAINER_LISTS) {
    const containers = getIn(object, [...podSpec, list]);
    if (Array.isArray(containers)) for (const container of containers) if (isObject(container)) images.add(container.image);
  }
  return images;
}

/** Where a container is in the loaded manifests, and what it holds there (aligned with the reports). */
interface ContainerSite {
  document: number;
  /** Path from the document root to the container's mapping. */
  path: PathSegment[];
  /** The `image` value as written. */
  image: unknown;
  /** The `imagePullPolicy` value as written. */
  given: unknown;
  /** The policy the API server stores (null when the given value is invalid: nothing is written). */
  stored: PullPolicy | null;
  /** The field names in the mapping at `path`: `image`/`imagePullPolicy` for containers, `reference`/`pullPolicy` for an image volume's `image`. */
  imageKey: 'image' | 'reference';
  policyKey: 'imagePullPolicy' | 'pullPolicy';
}

/** A change to one container on top of the defaulting (the rule plugins' mutations). */
export interface ContainerChange {
  image?: string;
  imagePullPolicy?: PullPolicy;
}

interface FieldValues {
  image?: string;
  imagePullPolicy?: PullPolicy;
}

/** The fields to write into each container: the defaulted policy, and the changes on top of it. */
function fieldEdits(sites: readonly ContainerSite[], changes?: ReadonlyArray<ContainerChange | undefined>): Array<{ site: ContainerSite; fields: FieldValues }> {
  const out: Array<{ site: ContainerSite; fields: FieldValues }> = [];
  sites.forEach((site, index) => {
    const change = changes?.[index];
    const fields: FieldValues = {};
    const policy = change?.imagePullPolicy ?? site.stored;
    if (policy !== null && policy !== site.given) fields.imagePullPolicy = policy;
    if (change?.image !== undefined && change.image !== site.image) fields.image = change.image;
    if (fields.image !== undefined || fields.imagePullPolicy !== undefined) out.push({ site, fields });
  });
  return out;
}

/** Sets fields of the container (or image volume source) at `path` in a plain object; a new policy goes right after the image. */
function applyObjectEdit(root: unknown, site: ContainerSite, fields: FieldValues): unknown {
  const path = site.path;
  if (path.length === 0) return withFields(root as JsonObject, site, fields);
  const parent = getIn(root, path.slice(0, -1)) as Record<string | number, unknown>;
  const last = path[path.length - 1];
  parent[last] = withFields(parent[last] as JsonObject, site, fields);
  return root;
}

function withFields(container: JsonObject, site: ContainerSite, fields: FieldValues): JsonObject {
  const { imageKey, policyKey } = site;
  if (fields.image !== undefined) container[imageKey] = fields.image;
  const value = fields.imagePullPolicy;
  if (value === undefined) return container;
  if (Object.hasOwn(container, policyKey)) {
    container[policyKey] = value;
    return container;
  }
  const entries = Object.entries(container);
  const imageAt = entries.findIndex(([key]) => key === imageKey);
  entries.splice(imageAt < 0 ? entries.length : imageAt + 1, 0, [policyKey, value]);
  return Object.fromEntries(entries);
}

/** The manifests in the form given, with the defaulted policies (and the changes) written in. */
function render(loaded: LoadedManifests, sites: readonly ContainerSite[], changes?: ReadonlyArray<ContainerChange | undefined>): unknown {
  const edits = fieldEdits(sites, changes);
  if (loaded.format === 'yaml' && loaded.yaml !== undefined) {
    const source = loaded.yaml;
    const yamlEdits: YamlFieldEdit[] = [];
    const rewrittenAnchors = new Set<object>();
    const imageEdited = new Set<ContainerSite>();
    for (const { site, fields } of edits) {
      if (fields.image !== undefined) {
        yamlEdits.push({ document: site.document, path: site.path, key: site.imageKey, value: fields.image });
        imageEdited.add(site);
        const value = yamlValueOf(source, site.document, site.path, site.imageKey);
        if (value?.anchored === true) rewrittenAnchors.add(value.node);
      }
      if (fields.imagePullPolicy !== undefined) {
        yamlEdits.push({ document: site.document, path: site.path, key: site.policyKey, value: fields.imagePullPolicy, after: site.imageKey });
      }
    }
    // A rewritten image that other containers refer to by alias (`image: *img`): they keep their image, written out.
    if (rewrittenAnchors.size > 0) {
      for (const site of sites) {
        if (imageEdited.has(site) || typeof site.image !== 'string') continue;
        const value = yamlValueOf(source, site.document, site.path, site.imageKey);
        if (value?.alias === true && rewrittenAnchors.has(value.node)) yamlEdits.push({ document: site.document, path: site.path, key: site.imageKey, value: site.image });
      }
    }
    return applyYamlEdits(source, yamlEdits);
  }
  const values = loaded.values;
  for (const { site, fields } of edits) values[site.document] = applyObjectEdit(values[site.document], site, fields);
  if (loaded.format === 'json' && loaded.json !== undefined) {
    const { array, indent, trailingNewline } = loaded.json;
    return JSON.stringify(array ? values : values[0], null, indent) + (trailingNewline ? '\n' : '');
  }
  return loaded.format === 'object' ? values[0] : values;
}

/** What a pod created from the object uses to pull: its pull secrets' names and its service account; and its labels. */
export interface PodPullContext {
  namespace: string | null;
  imagePullSecrets: string[];
  serviceAccountName: string | null;
  /** The object's labels overlaid with its pod template's (a Pod's own labels): what label selectors see. */
  labels: Record<string, string>;
}

/** A walk of the manifests whose rendering waits for changes on top of the defaulting (see walkManifestsDeferred). */
export interface ManifestsWalk {
  format: ManifestFormat;
  /** One report per container, in document order. */
  containers: ContainerReport[];
  /** Each container's pod pull context (aligned with `containers`). */
  pods: PodPullContext[];
  /** Each container's image, parsed; null when it has none or it does not parse (aligned with `containers`). */
  references: Array<ParsedReference | null>;
  warnings: string[];
  errors: string[];
  /**
   * The manifests in the form given, with the defaulted policies written in and `changes` (aligned with
   * `containers`) on top: YAML text is edited in place, keeping everything else byte for byte.
   */
  render(changes?: ReadonlyArray<ContainerChange | undefined>): unknown;
}

/** Walks every workload container of the manifests and fills imagePullPolicy as the API server would. */
export function defaultManifests(input: ManifestsInput): ManifestsResult {
  return walkManifests(input).result;
}

/** defaultManifests, plus each container's pod pull context (aligned with `result.containers`). */
export function walkManifests(input: ManifestsInput): { result: ManifestsResult; pods: PodPullContext[] } {
  const walk = walkManifestsDeferred(input);
  const result: ManifestsResult = {
    format: walk.format,
    manifests: walk.render(),
    containers: walk.containers,
    warnings: walk.warnings,
    errors: walk.errors,
    denied: false,
  };
  return { result, pods: walk.pods };
}

/** The walk of defaultManifests without the rendering, so changes (the rule plugins') can be written in the same pass. */
/**
 * Containers (and image volumes) one request may hold. About 40 µs each to walk, run the plugins on and
 * answer, so a 5 MiB body of containers would hold the event loop for seconds; 10 000 (about 0.4 s of work,
 * tens of times the largest real stream) leaves `helm template` output of any real chart in.
 */
export const MAX_CONTAINERS = 10_000;

export function walkManifestsDeferred(input: ManifestsInput): ManifestsWalk {
  // The API server's release and gates first: a bad version is the caller's error whatever the manifests hold.
  const gate = imageVolumeGate(kubernetesRelease(input.kubernetesVersion), validateFeatureGates(input.featureGates));
  const loaded = loadManifests(input.manifests, 'manifests');
  const previous = input.previous === undefined || input.previous === null ? null : new PreviousIndex(loadManifests(input.previous, 'previous').values);
  const walker = new ManifestWalker(input.alwaysPullImages === true, input.update ?? 'apply', previous, gate);
  const warnings: string[] = [];
  loaded.values.forEach((value, document) => {
    for (const found of collectObjects(value, document, warnings)) walker.visitObject(found, warnings);
  });
  if (loaded.values.every((value) => value === null || value === undefined)) warnings.push('no Kubernetes objects found');
  let rendered = false;
  return {
    format: loaded.format,
    containers: walker.reports,
    pods: walker.pods,
    references: walker.references,
    warnings,
    errors: walker.errors,
    render(changes) {
      // Object and list inputs are edited in place: a second rendering starts from a fresh copy.
      const from = rendered && loaded.format !== 'yaml' ? { ...loaded, values: loadManifests(input.manifests, 'manifests').values } : loaded;
      rendered = true;
      return render(from, walker.sites, changes);
    },
  };
}

class ManifestWalker {
  readonly sites: ContainerSite[] = [];
  readonly reports: ContainerReport[] = [];
  readonly references: Array<ParsedReference | null> = [];
  readonly errors: string[] = [];
  readonly pods: PodPullContext[] = [];
  private readonly parsed = new Map<string, ParseResult>();

  constructor(
    private readonly alwaysPullImages: boolean,
    private readonly update: UpdateMode,
    private readonly previous: PreviousIndex | null,
    private readonly imageVolumes: ImageVolumeGate,
  ) {}

  private parse(image: string): ParseResult {
    let result = this.parsed.get(image);
    if (result === undefined) {
      result = parseReference(image);
      this.parsed.set(image, result);
    }
    return result;
  }

  private defaultFor(image: unknown): PullPolicy {
    return defaultOutcomeOf(this.parse(typeof image === 'string' ? image : '')).policy;
  }

  visitObject(found: FoundObject, warnings: string[]): void {
    const identity = identityOf(found.object);
    const workload = Object.hasOwn(WORKLOAD_KINDS, identity.kind) ? WORKLOAD_KINDS[identity.kind] : undefined;
    if (workload === undefined) {
      if (identity.kind === '') warnings.push(`document ${found.document + 1}${found.item === null ? '' : `, item ${found.item + 1}`} has no kind; passed through untouched`);
      return;
    }
    const group = groupOf(identity.apiVersion);
    if (group !== null && !workload.groups.includes(group)) {
      warnings.push(`${labelOf(identity)}: kind ${identity.kind} in ${identity.apiVersion} is not the Kubernetes workload; passed through untouched`);
      return;
    }
    const podSpec = getIn(found.object, workload.podSpec);
    const label = labelOf(identity);
    if (!isObject(podSpec)) {
      warnings.push(`${label}: no ${workload.podSpec.join('.')}; nothing to default`);
      return;
    }
    const isPod = identity.kind === 'Pod';
    const previous = this.previous === null ? null : this.previous.find(identity);
    if (this.previous !== null && previous === null) {
      warnings.push(`${label}: not found in previous; treated as a create`);
    }
    // AlwaysPullImages: Pods only; on update only when the update brings an image the pod did not have.
    let admission = false;
    if (this.alwaysPullImages && isPod) {
      if (previous === null) admission = true;
      else {
        const before = imagesOf(previous.object, workload.podSpec);
        admission = [...imagesOf(found.object, workload.podSpec)].some((image) => !before.has(image));
      }
    }
    const specPath = workload.podSpec.join('.');
    const secrets = Array.isArray(podSpec.imagePullSecrets) ? podSpec.imagePullSecrets : [];
    const pod: PodPullContext = {
      namespace: identity.namespace,
      imagePullSecrets: secrets.map((secret) => (isObject(secret) ? stringOrNull(secret.name) : null)).filter((name): name is string => name !== null && name !== ''),
      serviceAccountName: stringOrNull(podSpec.serviceAccountName) ?? stringOrNull(podSpec.serviceAccount),
      labels: labelsOf(found.object, workload.podSpec),
    };
    for (const list of CONTAINER_LISTS) {
      const containers = podSpec[list];
      if (!Array.isArray(containers)) continue;
      containers.forEach((container, index) => {
        if (!isObject(container)) return;
        this.admitOneMore();
        const report = this.visitContainer({
          container,
          list,
          index,
          identity,
          found,
          workload,
          specPath,
          isPod,
          previous,
          admission,
        });
        if (list === 'ephemeralContainers' && index === 0) {
          if (!isPod) report.errors.push(`${specPath}.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template`);
          else if (previous === null) report.errors.push('spec.ephemeralContainers: Forbidden: cannot be set on create');
        }
        for (const error of report.errors) this.errors.push(`${label}: ${error}`);
        this.reports.push(report);
        this.pods.push(pod);
      });
    }
    const volumes = podSpec.volumes;
    if (!Array.isArray(volumes)) return;
    const at = { identity, found, workload, specPath, isPod, previous, label, podSpec };
    volumes.forEach((volume, index) => {
      if (!isObject(volume) || !Object.hasOwn(volume, 'image') || volume.image === null || volume.image === undefined) return;
      this.admitOneMore();
      const report = this.visitImageVolume(volume, index, at, warnings);
      if (report === null) return;
      for (const error of report.errors) this.errors.push(`${label}: ${error}`);
      this.reports.push(report);
      this.pods.push(pod);
    });
  }

  /**
   * The policy the API server stores for a container or an image volume, the same rule for both
   * (SetDefaults_Container / SetDefaults_Volume at create; on update the stored value is kept unless the
   * update drops a field it had set): given, given but unsupported (refused), kept from the stored object,
   * not defaulted (an image volume with the ImageVolume gate off), or defaulted from the image now.
   */
  private storedPolicy(
    givenValid: PullPolicy | null,
    givenInvalid: boolean,
    storedBefore: PullPolicy | null,
    explicitBefore: boolean,
    fresh: DefaultOutcome,
    defaulting: boolean,
  ): { stored: PullPolicy | null; reason: PullPolicyReason | 'Kept'; defaulted: boolean; how: 'given' | 'invalid' | 'kept' | 'not-defaulted' | 'defaulted' } {
    if (givenValid !== null) return { stored: givenValid, reason: 'Specified', defaulted: false, how: 'given' };
    if (givenInvalid) return { stored: null, reason: 'Specified', defaulted: false, how: 'invalid' };
    if (storedBefore !== null && this.update === 'apply' && !explicitBefore) return { stored: storedBefore, reason: 'Kept', defaulted: false, how: 'kept' };
    if (!defaulting) return { stored: null, reason: 'Specified', defaulted: false, how: 'not-defaulted' };
    return { stored: fresh.policy, reason: fresh.reason, defaulted: true, how: 'defaulted' };
  }

  /** Why an update defaults a stored policy again (only when the field is dropped). */
  private redefaultedBecause(): string {
    return this.update === 'replace' ? 'a full replace (PUT) omits the field' : 'the last applied configuration set it and this apply removes it';
  }

  /** Each container and image volume costs the walk, the plugins and the answer: MAX_CONTAINERS a request. */
  private admitOneMore(): void {
    if (this.reports.length >= MAX_CONTAINERS) {
      throw new ApiError(ErrorCode.PayloadTooLarge, `manifests: more than ${MAX_CONTAINERS} containers and image volumes in one request (the limit); split the stream`);
    }
  }

  /**
   * One pod volume with an `image` source (KEP-4639). The API server treats it as it treats a container
   * (`pkg/apis/core/v1/defaults.go` SetDefaults_Volume: an empty `pullPolicy` is defaulted from
   * `parsers.ParseImageName(reference)` exactly as SetDefaults_Container does — Always for the tag "latest"
   * or no tag, IfNotPresent otherwise, parse errors ignored) but only while the API server's ImageVolume
   * gate is on. With the gate off the volume is dropped with its volumeMounts (`pkg/api/pod/util.go`
   * dropImageVolumes) unless the object before the update already used image volumes (imageVolumesInUse);
   * before 1.31 the field is unknown. Updates keep the stored value as for containers (defaulting only fills
   * an empty field; `volumes` merge by name). AlwaysPullImages leaves volumes alone: its Admit visits
   * containers only (`plugin/pkg/admission/alwayspullimages/admission.go`, pods.VisitContainersWithPath).
   * Returns null when the volume would not be stored (the reasons are in `warnings`/`errors`).
   */
  private visitImageVolume(
    volume: JsonObject,
    index: number,
    at: {
      identity: ObjectIdentity;
      found: FoundObject;
      workload: WorkloadKind;
      specPath: string;
      isPod: boolean;
      previous: PreviousObject | null;
      label: string;
      podSpec: JsonObject;
    },
    objectWarnings: string[],
  ): ContainerReport | null {
    const { identity, found, workload, isPod, label } = at;
    const path = `${at.specPath}.volumes[${index}]`;
    const name = stringOrNull(volume.name);
    const shown = `${path} (image volume ${name === null ? '(unnamed)' : JSON.stringify(name)})`;
    const gate = this.imageVolumes;
    if (!gate.exists) {
      // The Go type has no such field: strict field validation (kubectl's default) refuses the object; with
      // Warn/Ignore the field is dropped and SetDefaults_Volume turns the source-less volume into an emptyDir.
      this.errors.push(`${label}: strict decoding error: unknown field "${path}.image"`);
      objectWarnings.push(
        `${label}: ${shown}: ${gate.describe}: the API server refuses the unknown field under strict field validation (kubectl's default); ` +
          'with --validate=false it drops the field and the volume, left without a source, becomes an empty emptyDir — the image is never mounted',
      );
      return null;
    }
    const source = volume.image;
    if (!isObject(source)) {
      this.errors.push(`${label}: ${path}.image: Invalid value: ${JSON.stringify(source)}: must be an object with reference and pullPolicy`);
      return null;
    }
    const beforeSpec = at.previous === null ? null : getIn(at.previous.object, workload.podSpec);
    const inUseBefore = isObject(beforeSpec) && Array.isArray(beforeSpec.volumes) && beforeSpec.volumes.some((v) => isObject(v) && isObject(v.image));
    if (!gate.enabled && !inUseBefore) {
      objectWarnings.push(
        `${label}: ${shown}: ${gate.describe}, so the API server drops the volume and every volumeMount of it (dropImageVolumes) and stores the ` +
          'rest: nothing is pulled or mounted, and the containers see at the mount path only what their own image has there',
      );
      return null;
    }
    const warnings: string[] = [];
    const errors: string[] = [];
    const rawReference = source.reference;
    const reference = stringOrNull(rawReference);
    if (rawReference === undefined || rawReference === null || rawReference === '') {
      // Required for Pods only: templates may leave it to config management (ImageVolumeSource.Reference doc).
      if (isPod) errors.push(`${path}.image.reference: Required value`);
      else warnings.push('image.reference is empty: the API server accepts it in a pod template (config management may fill it), but pods created from it are rejected');
    } else if (reference === null) errors.push(`${path}.image.reference: Invalid value: ${JSON.stringify(rawReference)}: must be a string`);
    const parsed = this.parse(reference ?? '');
    if (reference !== null && reference !== '' && !parsed.ok) {
      warnings.push(
        `image.reference ${JSON.stringify(reference)} cannot be parsed (${parsed.error}): the API server ignores the error and ` +
          'defaults pullPolicy to IfNotPresent, but the kubelet fails to pull the volume with InvalidImageName and no container mounting it starts',
      );
    }

    const given = source.pullPolicy;
    const givenValid = isPullPolicy(given) ? given : null;
    const givenInvalid = !isUnsetPolicy(given) && givenValid === null;
    const fresh = defaultOutcomeOf(parsed);
    const before = volumeNamed(at.previous?.object ?? null, workload.podSpec, name);
    const beforeSource = before !== null && isObject(before.image) ? before.image : null;
    const storedBefore: PullPolicy | null =
      beforeSource === null ? null : isPullPolicy(beforeSource.pullPolicy) ? beforeSource.pullPolicy : this.defaultFor(beforeSource.reference);
    const appliedBefore = volumeNamed(at.previous?.applied ?? null, workload.podSpec, name);
    const explicitBefore = appliedBefore !== null && isObject(appliedBefore.image) && !isUnsetPolicy(appliedBefore.image.pullPolicy);

    const { stored, reason, defaulted, how } = this.storedPolicy(givenValid, givenInvalid, storedBefore, explicitBefore, fresh, gate.enabled);
    if (how === 'invalid') errors.push(unsupportedPullPolicyMessage(given, `${path}.image.pullPolicy`));
    if (how === 'kept' && storedBefore !== fresh.policy) {
      const from = beforeSource !== null && typeof beforeSource.reference === 'string' ? JSON.stringify(beforeSource.reference) : 'the previous reference';
      warnings.push(
        `pullPolicy stays ${storedBefore} from the existing object (reference was ${from}): updates keep the stored value, but a fresh create of ` +
          `${reference === null ? 'the new reference' : JSON.stringify(reference)} would default to ${fresh.policy}; set image.pullPolicy explicitly to make the intent visible`,
      );
    }
    if (how === 'not-defaulted') {
      // Kept because the old object used image volumes, but SetDefaults_Volume does not run with the gate off.
      errors.push(`${path}.image.pullPolicy: Required value`);
      warnings.push(`${gate.describe}: the API server keeps image volumes of an object that already had them, but does not default pullPolicy`);
    }
    if (how === 'defaulted' && storedBefore !== null && storedBefore !== fresh.policy && !isPod) {
      warnings.push(`pullPolicy changes from ${storedBefore} to ${fresh.policy}: ${this.redefaultedBecause()}, so the API server defaults it again from the new reference`);
    }
    if (isPod && storedBefore !== null && stored !== null && stored !== storedBefore) {
      errors.push(`${POD_UPDATE_FORBIDDEN} (${path}.image.pullPolicy would change from ${storedBefore} to ${stored})`);
    }
    if (this.alwaysPullImages && stored !== null && stored !== 'Always') {
      warnings.push(
        `the AlwaysPullImages admission plugin sets Always on containers only, not on image volumes: this volume keeps pullPolicy ${stored}, ` +
          'so a pod can mount an image that is already on the node without the registry checking its credentials',
      );
    }
    if (stored !== null) warnings.push(...policyWarnings(parsed.ok ? parsed.reference : null, stored, reason === 'Kept' ? 'Specified' : reason));
    const mountedBy = mountersOf(at.podSpec, name);
    if (mountedBy.length === 0) warnings.push('no container mounts this volume: the kubelet still pulls it before starting the pod\'s containers, but its failure blocks none of them');

    this.sites.push({ document: found.document, path: [...found.path, ...workload.podSpec, 'volumes', index, 'image'], image: rawReference, given, stored, imageKey: 'reference', policyKey: 'pullPolicy' });
    this.references.push(parsed.ok && reference !== null && reference !== '' ? parsed.reference : null);
    return {
      kind: identity.kind,
      apiVersion: identity.apiVersion,
      namespace: identity.namespace,
      name: identity.name,
      container: null,
      containerType: 'imageVolume',
      volume: name,
      mountedBy,
      path,
      document: found.document,
      item: found.item,
      image: reference,
      imagePullPolicy: stored ?? (typeof given === 'string' ? given : given === undefined || given === null ? null : JSON.stringify(given)),
      podPullPolicy: stored,
      defaulted,
      reason,
      imageValid: parsed.ok,
      previous: beforeSource === null || storedBefore === null ? null : { image: stringOrNull(beforeSource.reference), imagePullPolicy: storedBefore },
      warnings,
      errors,
      plugins: [],
      denied: false,
      deniedBy: null,
      denyMessages: [],
      beforePlugins: null,
    };
  }

  private visitContainer(at: {
    container: JsonObject;
    list: ContainerList;
    index: number;
    identity: ObjectIdentity;
    found: FoundObject;
    workload: WorkloadKind;
    specPath: string;
    isPod: boolean;
    previous: PreviousObject | null;
    admission: boolean;
  }): ContainerReport {
    const { container, list, index, identity, found, workload, isPod } = at;
    const path = `${at.specPath}.${list}[${index}]`;
    const warnings: string[] = [];
    const errors: string[] = [];
    const rawImage = container.image;
    const image = stringOrNull(rawImage);
    const name = stringOrNull(container.name);

    if (rawImage === undefined || rawImage === null || rawImage === '') errors.push(`${path}.image: Required value`);
    else if (image === null) errors.push(`${path}.image: Invalid value: ${JSON.stringify(rawImage)}: must be a string`);
    else if (isPod && list !== 'ephemeralContainers' && hasSurroundingWhitespace(image)) {
      errors.push(`${path}.image: Invalid value: ${JSON.stringify(image)}: must not have leading or trailing whitespace`);
    }
    const parsed = this.parse(image ?? '');
    if (image !== null && image !== '' && !parsed.ok) {
      warnings.push(
        `image ${JSON.stringify(image)} cannot be parsed (${parsed.error}): the API server ignores the error and ` +
          'defaults imagePullPolicy to IfNotPresent, but the kubelet fails to start the container with InvalidImageName',
      );
    }

    const given = container.imagePullPolicy;
    const givenValid = isPullPolicy(given) ? given : null;
    const givenInvalid = !isUnsetPolicy(given) && givenValid === null;
    const fresh = defaultOutcomeOf(parsed);

    // The matching container before the update, and what it had.
    const before = containerNamed(at.previous?.object ?? null, workload.podSpec, list, name);
    const storedBefore: PullPolicy | null =
      before === null ? null : isPullPolicy(before.imagePullPolicy) ? before.imagePullPolicy : this.defaultFor(before.image);
    const appliedBefore = containerNamed(at.previous?.applied ?? null, workload.podSpec, list, name);
    const explicitBefore = appliedBefore !== null && !isUnsetPolicy(appliedBefore.imagePullPolicy);

    const decided = this.storedPolicy(givenValid, givenInvalid, storedBefore, explicitBefore, fresh, true);
    const how = decided.how;
    let { stored, reason, defaulted } = decided; // AlwaysPullImages overrides them below
    if (how === 'kept' && storedBefore !== fresh.policy) warnings.push(keptWarning(storedBefore as PullPolicy, fresh.policy, before?.image, image));
    if (how === 'defaulted' && storedBefore !== null && storedBefore !== fresh.policy && !isPod) {
      warnings.push(`imagePullPolicy changes from ${storedBefore} to ${fresh.policy}: ${this.redefaultedBecause()}, so the API server defaults it again from the new image`);
    }

    if (at.admission) {
      if (givenValid !== null && givenValid !== 'Always') {
        warnings.push(`the AlwaysPullImages admission plugin replaces imagePullPolicy ${givenValid} with Always`);
      } else if (givenInvalid) {
        warnings.push(`the AlwaysPullImages admission plugin replaces the unsupported imagePullPolicy ${JSON.stringify(given)} with Always before validation`);
      }
      stored = 'Always';
      reason = 'AlwaysPullImages';
      defaulted = false;
    } else if (givenInvalid) {
      errors.push(unsupportedPullPolicyMessage(given, `${path}.imagePullPolicy`));
    }

    if (isPod && storedBefore !== null && stored !== null && stored !== storedBefore) {
      errors.push(`${POD_UPDATE_FORBIDDEN} (${path}.imagePullPolicy would change from ${storedBefore} to ${stored})`);
    }
    this.sites.push({ document: found.document, path: [...found.path, ...workload.podSpec, list, index], image: rawImage, given, stored, imageKey: 'image', policyKey: 'imagePullPolicy' });
    this.references.push(parsed.ok && image !== null && image !== '' ? parsed.reference : null);

    let podPullPolicy: PullPolicy | null = stored;
    if (this.alwaysPullImages && !isPod) {
      podPullPolicy = 'Always';
      if (stored !== 'Always') {
        warnings.push(`pods created from this template get imagePullPolicy Always from the AlwaysPullImages admission plugin (the template keeps ${stored ?? 'its value'})`);
      }
    }
    if (stored !== null && reason !== 'AlwaysPullImages') {
      warnings.push(...policyWarnings(parsed.ok ? parsed.reference : null, stored, reason === 'Kept' ? 'Specified' : reason));
    }

    return {
      kind: identity.kind,
      apiVersion: identity.apiVersion,
      namespace: identity.namespace,
      name: identity.name,
      container: name,
      containerType: list,
      path,
      document: found.document,
      item: found.item,
      image,
      imagePullPolicy: stored ?? (typeof given === 'string' ? given : given === undefined || given === null ? null : JSON.stringify(given)),
      podPullPolicy,
      defaulted,
      reason,
      imageValid: parsed.ok,
      previous: before === null || storedBefore === null ? null : { image: stringOrNull(before.image), imagePullPolicy: storedBefore },
      warnings,
      errors,
      plugins: [],
      denied: false,
      deniedBy: null,
      denyMessages: [],
      beforePlugins: null,
    };
  }
}

/** String labels of a map (other values are not labels). */
function stringLabels(value: unknown, into: Record<string, string>): void {
  if (!isObject(value)) return;
  for (const [key, label] of Object.entries(value)) if (typeof label === 'string') into[key] = label;
}

/** The object's labels overlaid with its pod template's (for a Pod the two are the same). */
function labelsOf(object: JsonObject, podSpec: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  stringLabels(getIn(object, ['metadata', 'labels']), labels);
  if (podSpec.length > 1) stringLabels(getIn(object, [...podSpec.slice(0, -1), 'metadata', 'labels']), labels);
  return labels;
}

function keptWarning(kept: PullPolicy, fresh: PullPolicy, imageBefore: unknown, imageNow: string | null): string {
  const from = typeof imageBefore === 'string' ? JSON.stringify(imageBefore) : 'the previous image';
  const to = imageNow === null ? 'the new image' : JSON.stringify(imageNow);
  let why = '';
  if (fresh === 'Always') why = ' (the tag moved to latest)';
  else if (kept === 'Always') why = ' (the tag moved away from latest)';
  return (
    `imagePullPolicy stays ${kept} from the existing object (image was ${from}): updates keep the stored value, ` +
    `but a fresh create of ${to} would default to ${fresh}${why}; set imagePullPolicy explicitly to make the intent visible`
  );
}
