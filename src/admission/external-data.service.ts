/**
 * Gatekeeper external data (`externaldata.gatekeeper.sh/v1beta1` ProviderRequest → ProviderResponse): for each
 * image key, its digest at the registry (through the service's guarded, cached lookup) and a summary of the
 * policy decision (the plugins' verdict for operation `admission`, the default pull policy). A key that fails
 * carries its own `error`; `idempotent: true` lets Gatekeeper cache the answers.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { ApiError, ErrorCode } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PluginHost } from '../plugin-host/plugin-host.service.js';
import { defaultOutcomeOf } from '../pull-policy/pull-policy.js';
import { parseReference } from '../reference/parse.js';
import { DigestService } from '../registry/digest.service.js';

export const PROVIDER_VERSIONS = ['externaldata.gatekeeper.sh/v1beta1', 'externaldata.gatekeeper.sh/v1alpha1'] as const;
type ProviderVersion = (typeof PROVIDER_VERSIONS)[number];
/** Gatekeeper batches the keys of one object (and of audits); this bounds one request. */
export const MAX_KEYS = 1_000;

export interface ImageSummary {
  /** The digest of the reference (a multi-architecture image: its index digest). */
  digest: string | null;
  /** `name@digest`: the reference pinned to that digest (what a mutation would set). */
  pinned: string | null;
  /** Normalised reference (`docker.io/library/nginx:1.25`). */
  reference: string | null;
  defaultPullPolicy: string;
  /** The plugins' verdict on the image (`allow` when no plugin runs). */
  verdict: 'allow' | 'warn' | 'deny';
  messages: string[];
  stale: boolean;
}

export interface ProviderItem {
  key: string;
  value: ImageSummary | string | null;
  error: string;
}

export interface ProviderResponse {
  apiVersion: ProviderVersion;
  kind: 'ProviderResponse';
  response: { idempotent: true; items: ProviderItem[]; systemError: string };
}

export type ValueMode = 'summary' | 'pinned';

export function readProviderRequest(body: unknown): { apiVersion: ProviderVersion; keys: string[] } {
  const bad = (message: string) => new ApiError(ErrorCode.InvalidRequest, `Malformed ProviderRequest: ${message}`);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('the body must be a JSON object');
  const document = body as Record<string, unknown>;
  if (!PROVIDER_VERSIONS.includes(document.apiVersion as ProviderVersion)) throw bad(`apiVersion must be externaldata.gatekeeper.sh/v1beta1, got ${JSON.stringify(document.apiVersion) ?? 'nothing'}`);
  if (document.kind !== 'ProviderRequest') throw bad(`kind must be ProviderRequest, got ${JSON.stringify(document.kind) ?? 'nothing'}`);
  const request = document.request as Record<string, unknown> | undefined;
  if (request === null || typeof request !== 'object' || !Array.isArray(request.keys)) throw bad('request.keys must be a list of image references');
  if (request.keys.length > MAX_KEYS) throw bad(`request.keys must contain at most ${MAX_KEYS} items`);
  request.keys.forEach((key, index) => {
    if (typeof key !== 'string') throw bad(`request.keys[${index}] must be a string`);
  });
  return { apiVersion: document.apiVersion as ProviderVersion, keys: request.keys as string[] };
}

@Injectable()
export class ExternalDataService {
  constructor(
    @Inject(DigestService) private readonly digests: DigestService,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'admissionTimeoutMs'>,
    @Optional() @Inject(PluginHost) private readonly plugins: PluginHost | null = null,
  ) {}

  async answer(body: unknown, mode: ValueMode = 'summary', budgetMs = this.config.admissionTimeoutMs): Promise<ProviderResponse> {
    const { apiVersion, keys } = readProviderRequest(body);
    const distinct = [...new Set(keys)];
    const signal = AbortSignal.timeout(budgetMs);
    const answers = new Map(await Promise.all(distinct.map(async (key) => [key, await this.item(key, mode, signal, budgetMs)] as const)));
    return { apiVersion, kind: 'ProviderResponse', response: { idempotent: true, items: keys.map((key) => answers.get(key) as ProviderItem), systemError: '' } };
  }

  private async item(key: string, mode: ValueMode, signal: AbortSignal, budgetMs: number): Promise<ProviderItem> {
    const parsed = parseReference(key);
    if (!parsed.ok) return { key, value: null, error: `InvalidReference: ${parsed.error}` };
    const reference = parsed.reference;
    const policy = defaultOutcomeOf(parsed).policy;
    const [digest, run] = await Promise.all([
      this.digests.resolve(key, { signal }).then(
        (answer) => ({ ok: true as const, answer }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      this.plugins !== null && this.plugins.has('admission') ? this.plugins.run({ image: reference, imagePullPolicy: policy, operation: 'admission', context: { source: 'gatekeeper' } }, { budgetMs }) : null,
    ]);
    const failure = digest.ok
      ? ''
      : digest.error instanceof ApiError
        ? `${digest.error.code}: ${digest.error.message}`
        : signal.aborted
          ? `RegistryTimeout: no answer within ${budgetMs} ms`
          : 'InternalError: digest lookup failed';
    const pinned = digest.ok ? `${reference.name}@${digest.answer.digest}` : null;
    if (mode === 'pinned') return { key, value: pinned, error: failure };
    const value: ImageSummary = {
      digest: digest.ok ? digest.answer.digest : null,
      pinned,
      reference: digest.ok ? digest.answer.reference : reference.canonical,
      defaultPullPolicy: policy,
      verdict: run === null ? 'allow' : run.denied ? 'deny' : run.warnings.length > 0 ? 'warn' : 'allow',
      messages: run === null ? [] : [...run.denyMessages, ...run.warnings],
      stale: digest.ok ? digest.answer.stale : false,
    };
    return { key, value, error: failure };
  }
}
