import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AUTH_STATE, AuthState } from './auth-state.js';
import { ScopeGuard } from './scope.guard.js';

/**
 * API-key scopes on every REST handler and GraphQL field (ScopeGuard, global). Authentication itself is the
 * request hook of access-control.ts, installed by the app factory, which hands its AuthState here.
 */
@Global()
@Module({})
export class AuthModule {
  static forRoot(state: AuthState = new AuthState(null, [])): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: AUTH_STATE, useValue: state },
        // Without API keys there is nothing to check: no guard, so no guard machinery on every request.
        ...(state.keys === null ? [] : [{ provide: APP_GUARD, useClass: ScopeGuard }]),
      ],
      exports: [AUTH_STATE],
    };
  }
}
