/** imagePullPolicy values the Kubernetes API accepts. */
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

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
