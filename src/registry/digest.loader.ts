/**
 * DataLoader per GraphQL request (held by the request's context object): every `digest`/`digests`
 * field of one query with the same platform and pull secrets goes through one loader, so a dashboard
 * asking for many images makes one lookup per distinct image.
 */
import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { type DigestAnswer, DigestService, type PullSecretInput } from './digest.service.js';

@Injectable()
export class DigestLoaders {
  private readonly byContext = new WeakMap<object, Map<string, DataLoader<string, DigestAnswer>>>();

  constructor(private readonly digests: DigestService) {}

  forRequest(context: object, platform: string | null, pullSecrets: readonly PullSecretInput[] | undefined): DataLoader<string, DigestAnswer> {
    let loaders = this.byContext.get(context);
    if (!loaders) {
      loaders = new Map();
      this.byContext.set(context, loaders);
    }
    // Secrets are keyed by a keyed hash (HMAC) of their content, never by the content itself or a plain hash of it.
    const secretsKey = pullSecrets?.length ? this.digests.pullSecretsKey(pullSecrets) : '';
    const key = `${platform ?? ''}\n${secretsKey}`;
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader<string, DigestAnswer>(
        async (images) => {
          const results = await this.digests.resolveAll(images, { platform, pullSecrets });
          return results;
        },
        { maxBatchSize: 1_000 },
      );
      loaders.set(key, loader);
    }
    return loader;
  }
}
