/**
 * Routes Fastify serves itself, without Nest's per-request pipeline (router proxy, guards, pipes,
 * interceptors, response controller). Only for the hottest read routes, whose own work — parse one
 * reference, read one cache entry — costs less than that pipeline: their speed targets are set against a
 * bare Fastify route. Everything else is a Nest controller.
 *
 * What still applies to them, because it lives in Fastify: API-key authentication and rate limits
 * (onRequest hook), metrics and the access log (onResponse hook), the route's JSON schemas (query checked,
 * answer written by a compiled serialiser) and the error handler Nest installs (errors become the error
 * model). The scope check, a Nest guard elsewhere, is done here. The OpenAPI operation is declared with
 * the route, since Swagger only sees controllers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { AuthState } from '../auth/auth-state.js';
import { assertScopes } from '../auth/scope.guard.js';
import { ROUTE_SCOPES, scopesOf } from '../auth/scopes.js';
import { JSON_CONTENT_TYPE } from './content-types.js';

export interface DirectRoute {
  method: 'GET' | 'POST';
  /** The route pattern; also the key of its scope rule in ROUTE_SCOPES (`GET /v1/...`). */
  url: string;
  /** `querystring` or `body`, and `response` schemas: the input is checked before the handler runs. */
  schema: FastifySchema;
  /** The answer or its promise (written with `schema.response[200]`); a thrown ApiError becomes the error model. */
  handle(request: FastifyRequest): unknown;
  /**
   * `handle` answers a repeated question with the same frozen object (a memo of a pure or cached answer): its
   * serialised form is then kept with it and written again without serialising. Promises are not kept.
   */
  sharedAnswers?: true;
  /** This route's operation in /openapi.json (see openApiOperation). */
  openapi: OpenApiOperation;
  /** DTO classes the operation refers to (`#/components/schemas/<name>`), added to the document. */
  models: readonly (new (...args: never[]) => unknown)[];
}

export interface OpenApiOperation {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  requestBody?: { required: true; content: { 'application/json': { schema: { $ref: string } } } };
  parameters: { name: string; in: 'query'; required: boolean; description: string; schema: { type: 'string'; example: string } }[];
  responses: Record<string, { description: string; content: { 'application/json': { schema: { $ref: string } } } }>;
}

/** Registers the routes on the application's Fastify instance (after Nest's init, so Nest's error handler applies). */
export function registerDirectRoutes(fastify: FastifyInstance, routes: readonly DirectRoute[], auth: AuthState): void {
  for (const route of routes) {
    const what = `${route.method} ${route.url}`;
    const rule = ROUTE_SCOPES[what];
    fastify.route({
      method: route.method,
      url: route.url,
      schema: route.schema,
      // Only with API keys on: with them off this route costs no hook at all.
      ...(auth.keys === null
        ? {}
        : {
            preHandler: (request: FastifyRequest, _reply: unknown, done: (error?: Error) => void) => {
              try {
                assertScopes(auth, request, what, scopesOf(rule, request.body)); // some rules read the (validated) body
                done();
              } catch (error) {
                done(error as Error);
              }
            },
          }),
      // Fastify sends a returned value and awaits a returned promise (a rejection becomes the error answer).
      handler: route.sharedAnswers ? sharedAnswerHandler(route) : (request) => route.handle(request),
    });
  }
}

/**
 * Serialising is most of what a cached answer costs a hot route: each shared answer object is serialised once
 * (by the route's compiled schema serialiser) and its text kept for as long as the object lives.
 */
function sharedAnswerHandler(route: DirectRoute) {
  const serialised = new WeakMap<object, ReturnType<FastifyReply['serialize']>>();
  return (request: FastifyRequest, reply: FastifyReply): unknown => {
    const answer = route.handle(request);
    if (typeof answer !== 'object' || answer === null || answer instanceof Promise) return answer;
    let text = serialised.get(answer);
    if (text === undefined) {
      text = reply.serialize(answer);
      serialised.set(answer, text);
    }
    reply.header('content-type', JSON_CONTENT_TYPE); // a string with a JSON type is sent as it is
    return text;
  };
}

/** The operation as @nestjs/swagger writes it for a controller method; its operationId is stable (test/openapi.test.ts lists them). */
export function openApiOperation(operation: {
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  query?: { name: string; required: boolean; description: string; example: string }[];
  /** The DTO of the JSON request body, if any. */
  body?: string;
  /** The DTO of the 200 answer. */
  ok: string;
  /** Error answers (ErrorResponseDto) by status: what they mean. */
  errors: Record<number, string>;
}): OpenApiOperation {
  const body = (model: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${model}` } } });
  const responses: OpenApiOperation['responses'] = { '200': { description: '', content: body(operation.ok) } };
  for (const [status, description] of Object.entries(operation.errors)) responses[status] = { description, content: body('ErrorResponseDto') };
  return {
    operationId: operation.operationId,
    tags: [operation.tag],
    summary: operation.summary,
    ...(operation.description === undefined ? {} : { description: operation.description }),
    ...(operation.body === undefined ? {} : { requestBody: { required: true as const, content: body(operation.body) } }),
    parameters: (operation.query ?? []).map(({ name, required, description, example }) => ({ name, in: 'query', required, description, schema: { type: 'string', example } })),
    responses,
  };
}
