/**
 * Who is calling, and how often: one Fastify `onRequest` hook, before the body is read, so a caller
 * without a valid key (or over its rate) costs a hash and a map lookup, never a body parse.
 *
 * - With API_KEYS_FILE set, every path except AUTH_OPEN_PATHS needs `Authorization: Bearer <key>`;
 *   a missing or unknown key is a 401 `Unauthorized` with `WWW-Authenticate: Bearer`. The key's name
 *   (never the key) is put on the request for the scope guard and the access log.
 * - With RATE_LIMIT_PER_SECOND set, each key (or client address, without keys) has a token bucket;
 *   an empty bucket is a 429 `RateLimited` with `Retry-After`. Open paths are never limited.
 * - The key file is reloaded when it changes (rotation without restart); a broken file keeps the old keys.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { sendError } from '../common/api-exception.filter.js';
import { JSON_CONTENT_TYPE } from '../common/content-types.js';
import { ApiError, ErrorCode } from '../common/errors.js';
import { watchFiles } from '../common/file-watch.js';
import type { AppConfig } from '../config/config.js';
import { type ApiKey, ApiKeyStore, readApiKeysFile } from './api-keys.js';
import { AuthState } from './auth-state.js';
import { RateLimiter } from './rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key that authenticated this request (null: authentication off, or an open path). */
    apiKey: ApiKey | null;
  }
}

const REALM = 'Bearer realm="image-policy-service"';

type AccessConfig = Pick<AppConfig, 'apiKeysFile' | 'authOpenPaths' | 'rateLimitPerSecond' | 'rateLimitBurst' | 'tlsReloadIntervalMs'>;

function refuse(request: FastifyRequest, reply: FastifyReply, error: ApiError): void {
  if (request.url === '/graphql' || request.url.startsWith('/graphql?')) {
    // GraphQL clients read `errors`; the status still says what happened.
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    void reply.status(error.status).type(JSON_CONTENT_TYPE).send({ errors: [{ message: error.message, extensions: { code: error.code } }] });
    return;
  }
  sendError(reply, error);
}

/** Installs the hook (call before the routes are registered); throws ApiKeysError for a bad key file. */
export function installAccessControl(fastify: FastifyInstance, config: AccessConfig, logger?: Logger): AuthState {
  const keys = config.apiKeysFile === null ? null : new ApiKeyStore(readApiKeysFile(config.apiKeysFile));
  const state = new AuthState(keys, config.authOpenPaths);
  const limiter = config.rateLimitPerSecond > 0 ? new RateLimiter(config.rateLimitPerSecond, config.rateLimitBurst) : null;
  fastify.decorateRequest('apiKey', null);

  if (keys !== null && config.apiKeysFile !== null) {
    const file = config.apiKeysFile;
    logger?.info({ keys: keys.size, openPaths: config.authOpenPaths }, 'API keys loaded; authentication is on');
    const stop = watchFiles([file], config.tlsReloadIntervalMs, () => {
      try {
        keys.replace(readApiKeysFile(file));
        logger?.info({ keys: keys.size }, 'API keys reloaded');
      } catch (error) {
        logger?.error({ problem: (error as Error).message }, 'API keys file changed but cannot be used; the previous keys stay in force');
      }
    });
    fastify.addHook('onClose', (_instance, done) => {
      stop();
      done();
    });
  }

  if (keys === null && limiter === null) return state;
  fastify.addHook('onRequest', (request, reply, done) => {
    if (state.isOpen(request.url)) return done();
    if (keys !== null) {
      const found = keys.identify(request.headers.authorization);
      if (!found.ok) {
        const presented = request.headers.authorization !== undefined;
        reply.header('www-authenticate', presented ? `${REALM}, error="invalid_token"` : REALM);
        return refuse(request, reply, new ApiError(ErrorCode.Unauthorized, found.problem));
      }
      request.apiKey = found.key;
    }
    if (limiter !== null) {
      const caller = request.apiKey === null ? `address:${request.ip}` : `key:${request.apiKey.name}`;
      const decision = limiter.take(caller);
      if (!decision.allowed) {
        const who = request.apiKey === null ? `client ${request.ip}` : `API key "${request.apiKey.name}"`;
        return refuse(
          request,
          reply,
          new ApiError(ErrorCode.RateLimited, `Too many requests from ${who}: the limit is ${limiter.perSecond} per second (burst ${limiter.burst}); retry after ${decision.retryAfterSeconds} s`, decision.retryAfterSeconds),
        );
      }
    }
    done();
  });
  return state;
}
