/**
 * imagePullPolicy values the Kubernetes API accepts, in the API's order: the one list every validator,
 * error message, OpenAPI enum and the GraphQL `PullPolicy` enum is built from.
 */
export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;

/** imagePullPolicy values the Kubernetes API accepts. */
export type PullPolicy = (typeof PULL_POLICIES)[number];

/** The values the API server's defaulting can give an empty imagePullPolicy (never `Never`). */
export const DEFAULTED_PULL_POLICIES = ['Always', 'IfNotPresent'] as const satisfies readonly PullPolicy[];

/** A reference parsed the way Kubernetes' `ParseNormalizedNamed` does (public contract field names). */
export interface ParsedReference {
  input: string;
  /** `domain/path`, fully normalised (`docker.io/library/nginx`). */
  name: string;
  domain: string;
  path: string;
  tag: string | null;
  digest: string | null;
  /** `name[:tag][@digest]`. */
  canonical: string;
  /** What `docker` prints: `docker.io/` and, for single names, `library/` dropped. */
  familiar: string;
  familiarName: string;
  /** What a runtime pulls: tag dropped when a digest is present, `:latest` added when neither is. */
  pullReference: string;
  /** What the API server defaults an empty imagePullPolicy to for this image. */
  defaultPullPolicy: PullPolicy;
}

export type ParseResult =
  | { ok: true; reference: ParsedReference }
  | { ok: false; input: string; error: string };
