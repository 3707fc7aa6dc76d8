import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { FastifyRequest } from 'fastify';
import { ApiError, ErrorCode } from '../common/errors.js';
import type { Scope } from './api-keys.js';
import './access-control.js'; // FastifyRequest.apiKey
import { AUTH_STATE, type AuthState } from './auth-state.js';
import { GRAPHQL_SCOPES, ROUTE_SCOPES, SCOPES_METADATA, scopesOf } from './scopes.js';

/**
 * The scope check, for REST handlers and GraphQL fields alike (authentication itself — who is calling —
 * happened in the request hook before the body was read). Off when no API keys are configured.
 */
@Injectable()
export class ScopeGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_STATE) private readonly auth: AuthState,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.auth.keys === null) return true;
    const declared = this.reflector.getAllAndOverride<Scope[] | undefined>(SCOPES_METADATA, [context.getHandler(), context.getClass()]);
    let request: FastifyRequest;
    let needed: readonly Scope[] | null;
    let what: string;
    if (context.getType<string>() === 'graphql') {
      const gql = GqlExecutionContext.create(context);
      const info = gql.getInfo<{ parentType: { name: string }; fieldName: string }>();
      request = (gql.getContext<{ req: FastifyRequest }>().req) as FastifyRequest;
      what = `${info.parentType.name}.${info.fieldName}`;
      needed = declared ?? scopesOf(GRAPHQL_SCOPES[what], gql.getArgs());
    } else {
      request = context.switchToHttp().getRequest<FastifyRequest>();
      what = `${request.method === 'HEAD' ? 'GET' : request.method} ${request.routeOptions.url ?? request.url}`;
      needed = declared ?? scopesOf(ROUTE_SCOPES[what], request.body);
    }
    assertScopes(this.auth, request, what, needed);
    return true;
  }
}

/**
 * The scope check itself, shared by the guard (Nest routes, GraphQL fields) and the routes Fastify serves
 * directly (common/direct-routes.ts): 403 naming the missing scopes, or when `what` has no rule (`needed` null).
 */
export function assertScopes(auth: AuthState, request: FastifyRequest, what: string, needed: readonly Scope[] | null): void {
  const key = request.apiKey ?? null;
  if (key === null) {
    // Only open paths reach a handler without a key (the request hook answered 401 for the rest).
    if (auth.isOpen(request.url)) return;
    throw new ApiError(ErrorCode.Unauthorized, 'API key required: send Authorization: Bearer <key>');
  }
  if (needed === null) throw new ApiError(ErrorCode.Forbidden, `${what} has no scope rule; it is refused while API keys are on`);
  const missing = needed.filter((scope) => !key.scopes.has(scope));
  if (missing.length > 0) {
    throw new ApiError(ErrorCode.Forbidden, `API key "${key.name}" lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')} needed for ${what}`);
  }
}
