/**
 * Where the containers of an admitted object are: the pod spec of a Pod and of every kind with a pod
 * template (the same table the manifest defaulting uses), and which of them an UPDATE introduces.
 */
import { CONTAINER_LISTS, type ContainerList, WORKLOAD_KINDS } from '../pull-policy/manifests.js';
import type { GroupVersionKind } from './admission-review.js';
import { pointerSegment } from './admission-review.js';

export interface AdmittedContainer {
  list: ContainerList;
  index: number;
  name: string | null;
  image: string;
  /** As written (absent: undefined). */
  imagePullPolicy: unknown;
  /** JSON pointer of the container (`/spec/template/spec/containers/0`). */
  pointer: string;
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
      });
    });
  }
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
