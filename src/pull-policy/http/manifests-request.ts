/**
 * The request and answer shapes of `POST /v1/manifests/default`, which takes a JSON body or a raw YAML
 * body (`Content-Type: application/yaml`). A raw YAML body is answered with the defaulted YAML itself
 * (pipe it to `kubectl apply -f -`); its warnings and rejections travel as `Warning: 299 - "…"` headers,
 * as the Kubernetes API server sends warnings. `Accept: application/json` gets the full JSON report instead.
 */
import { createParamDecorator, type ExecutionContext, Injectable, type PipeTransform } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ErrorCode } from '../../common/errors.js';
import { RequestValidationPipe } from '../../common/validation.js';
import type { ManifestsInput, ManifestsResult } from '../manifests.js';
import { parseFeatureGatesFlag } from '../kubernetes-release.js';
import { DefaultManifestsBody } from '../pull-policy.dto.js';
import { isYamlMediaType } from './yaml-body.js';

export interface RawManifestsRequest {
  yaml: boolean;
  wantsJson: boolean;
  body: unknown;
  query: Record<string, unknown>;
}

export interface ManifestsRequestValue {
  /** True when the body was raw YAML and the answer is YAML. */
  yamlAnswer: boolean;
  input: ManifestsInput;
}

/** The body with its content type and the Accept header (the body alone cannot tell a YAML body from a JSON string). */
export const ManifestsRequest = createParamDecorator((_data: unknown, context: ExecutionContext): RawManifestsRequest => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  const accept = request.headers.accept ?? '';
  return {
    yaml: isYamlMediaType(request.headers['content-type']),
    wantsJson: accept.includes('application/json'),
    body: request.body,
    query: (request.query ?? {}) as Record<string, unknown>,
  };
});

/** The query parameters of a raw YAML body (a JSON body carries its options in the body). */
const YAML_QUERY_PARAMETERS = ['alwaysPullImages', 'namespace', 'kubernetesVersion', 'featureGates'];

function booleanQuery(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ApiError(ErrorCode.InvalidRequest, `${name} must be true or false`);
}

function stringQuery(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > 253) throw new ApiError(ErrorCode.InvalidRequest, `${name} must be given once, as 1 to 253 characters`);
  return value;
}

/** Validates a JSON body with the service's DTO rules; a YAML body is taken as it is, options from the query. */
@Injectable()
export class ManifestsBodyPipe implements PipeTransform<RawManifestsRequest, Promise<ManifestsRequestValue>> {
  private readonly validation = new RequestValidationPipe();

  async transform(request: RawManifestsRequest): Promise<ManifestsRequestValue> {
    if (request.yaml) {
      const unknown = Object.keys(request.query).filter((key) => !YAML_QUERY_PARAMETERS.includes(key));
      if (unknown.length > 0) throw new ApiError(ErrorCode.InvalidRequest, `query parameter ${unknown[0]} is not supported (only ${YAML_QUERY_PARAMETERS.join(', ')})`);
      const alwaysPullImages = booleanQuery(request.query.alwaysPullImages, 'alwaysPullImages');
      const namespace = stringQuery(request.query.namespace, 'namespace');
      const kubernetesVersion = stringQuery(request.query.kubernetesVersion, 'kubernetesVersion');
      const featureGates = stringQuery(request.query.featureGates, 'featureGates');
      const input: ManifestsInput = { manifests: String(request.body ?? ''), alwaysPullImages, ...(namespace === undefined ? {} : { namespace }) };
      if (kubernetesVersion !== undefined) input.kubernetesVersion = kubernetesVersion;
      if (featureGates !== undefined) input.featureGates = parseFeatureGatesFlag(featureGates); // `ImageVolume=true`, as kube-apiserver's --feature-gates
      return { yamlAnswer: !request.wantsJson, input };
    }
    const body = (await this.validation.transform(request.body, { type: 'body', metatype: DefaultManifestsBody })) as DefaultManifestsBody;
    return {
      yamlAnswer: false,
      input: {
        manifests: body.manifests,
        previous: body.previous,
        alwaysPullImages: body.alwaysPullImages,
        update: body.update,
        namespace: body.namespace,
        kubernetesVersion: body.kubernetesVersion,
        featureGates: body.featureGates,
      },
    };
  }
}

/** Kubernetes' bounds on warnings (apiserver `pkg/warning`): each at most 256 characters, 4 096 in all. */
const WARNING_MAX_LENGTH = 256;
const WARNINGS_MAX_TOTAL = 4_096;

/**
 * One HTTP header value per warning, as Kubernetes writes them: `299 - "text"` (ASCII, quotes escaped), each
 * cut to 256 characters and no more than 4 096 characters in all, as the API server bounds them (the texts
 * carry images and names from the request, and HTTP clients refuse headers past 16 KB).
 */
export function warningHeaders(result: ManifestsResult, limit = 50): string[] {
  const texts = [
    ...result.warnings,
    ...result.errors,
    ...result.containers.flatMap((c) => c.warnings.map((w) => `${c.kind} ${c.namespace === null ? '' : `${c.namespace}/`}${c.name ?? '(unnamed)'} ${c.path}: ${w}`)),
  ];
  const headers: string[] = [];
  let total = 0;
  for (const text of texts.slice(0, limit)) {
    const cut = text.length > WARNING_MAX_LENGTH ? `${text.slice(0, WARNING_MAX_LENGTH - 3)}...` : text;
    const header = `299 - "${cut.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, '\\$&')}"`;
    total += header.length; // as written: escaping can double the text
    if (total > WARNINGS_MAX_TOTAL) break;
    headers.push(header);
  }
  return headers;
}

/** The answer in the form the request asked for. */
export function answerManifests(reply: FastifyReply, request: ManifestsRequestValue, result: ManifestsResult): unknown {
  if (!request.yamlAnswer) return result;
  const warnings = warningHeaders(result);
  if (warnings.length > 0) void reply.header('warning', warnings);
  void reply.header('x-container-count', String(result.containers.length));
  if (result.denied) void reply.header('x-denied-container-count', String(result.containers.filter((container) => container.denied).length));
  void reply.type('application/yaml; charset=utf-8');
  return result.manifests;
}
