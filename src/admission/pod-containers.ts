/**
 * Where the containers of an admitted object are: the pod spec of a Pod and of every kind with a pod
 * template (the same table the manifest defaulting uses), and which of them an UPDATE introduces. Image
 * volumes (`volumes[].image`, KEP-4639) are listed the same way by imageVolumesOf: their `reference` and
 * `pullPolicy` play the parts of a container's `image` and `imagePullPolicy` (pkg/apis/core/v1/defaults.go
 * SetDefaults_Volume defaults them with SetDefaults_Container's rule).
 */
import { CONTAINER_LISTS, type ContainerList, WORKLOAD_KINDS } from '../pull-policy/manifests.js';
import type { GroupVersionKind } from './admission-review.js';
import { pointerSegment } from './admission-review.js';

export interface AdmittedContainer {
  /** The container list, or `imageVolume` for a pod volume with an image source. */
  list: ContainerList | 'imageVolume';
  index: number;
  /** The container's name (an image volume's: the volume's name). */
  name: string | null;
  /** The image (an image volume's `image.reference`). */
  image: string;
  /** As written (absent: undefined); an image volume's `image.pullPolicy`. */
  imagePullPolicy: unknown;
  /** JSON pointer of the mapping that holds the two fields (`/spec/template/spec/containers/0`, `/spec/volumes/1/image`). */
  pointer: string;
  /** The two fields' names in that mapping. */
  imageKey: 'image' | 'reference';
  policyKey: 'imagePullPolicy' | 'pullPolicy';
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The path to the pod spec for this kind in this API group, or null for kinds without pods. */
export function podSpecPath(kind: GroupVersionKind): readonly string[] | null {
  const workload = Object.prototype.hasOwnProperty.call(WORKLOAD_KINDS, kind.kind) ? WORKLOAD_KINDS[kind.kind] : undefined;
  if (workload === undefined || !workload.groups.includes(kind.group)) return null;
  return workload.podSpec;
}

export function containersOf(object: unknown, path: readonly string[]): AdmittedContainer[] {
  let spec: unknown = object;
  for (const key of path) spec = isObject(spec) ? spec[key] : undefined;
  if (!isObject(spec)) return [];
  const base = `/${path.map(pointerSegment).join('/')}`;
  const out: AdmittedContainer[] = [];
  for (const list of CONTAINER_LISTS) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    containers.forEach((container: unknown, index) => {
      if (!isObject(container) || typeof container.image !== 'string') return;
      out.push({
        list,
        index,
        name: typeof container.name === 'string' ? container.name : null,
        image: container.image,
        imagePullPolicy: container.imagePullPolicy,
        pointer: `${base}/${list}/${index}`,
        imageKey: 'image',
        policyKey: 'imagePullPolicy',
      });
    });
  }
  return out;
}

/** The pod spec's image volumes with a string reference, with the pointer of their `image` mapping. */
export function imageVolumesOf(object: unknown, path: readonly string[]): AdmittedContainer[] {
  let spec: unknown = object;
  for (const key of path) spec = isObject(spec) ? spec[key] : undefined;
  if (!isObject(spec) || !Array.isArray(spec.volumes)) return [];
  const base = `/${path.map(pointerSegment).join('/')}`;
  const out: AdmittedContainer[] = [];
  spec.volumes.forEach((volume: unknown, index) => {
    if (!isObject(volume) || !isObject(volume.image) || typeof volume.image.reference !== 'string') return;
    out.push({
      list: 'imageVolume',
      index,
      name: typeof volume.name === 'string' ? volume.name : null,
      image: volume.image.reference,
      imagePullPolicy: volume.image.pullPolicy,
      pointer: `${base}/volumes/${index}/image`,
      imageKey: 'reference',
      policyKey: 'pullPolicy',
    });
  });
  return out;
}

/** Labels of the pod (template) and of the object. */
export function podLabelsOf(object: unknown, path: readonly string[]): Record<string, string> {
  // The pod spec's parent holds the pod metadata (Pod: the object; templates: `template`).
  let parent: unknown = object;
  for (const key of path.slice(0, -1)) parent = isObject(parent) ? parent[key] : undefined;
  const labels = isObject(parent) && isObject(parent.metadata) && isObject(parent.metadata.labels) ? parent.metadata.labels : {};
  return Object.fromEntries(Object.entries(labels).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
