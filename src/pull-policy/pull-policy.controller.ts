import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ErrorResponseDto } from '../reference/reference.dto.js';
import { answerManifests, ManifestsBodyPipe, ManifestsRequest, type ManifestsRequestValue } from './http/manifests-request.js';
import { DefaultManifestsBody, DefaultManifestsResponseDto, DefaultPullPolicyBody, PullPolicyResultDto } from './pull-policy.dto.js';
import type { PullPolicyAnswer } from './pull-policy-plugins.js';
import { PullPolicyService } from './pull-policy.service.js';

@ApiTags('pull-policy')
@Controller('v1')
export class PullPolicyController {
  constructor(private readonly policies: PullPolicyService) {}

  @Post('pull-policy/default')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'defaultPullPolicy',
    summary: 'The imagePullPolicy the API server gives a container (defaulting, validation, AlwaysPullImages), then the rule plugins',
    description:
      'The rule plugins (operation `default`) see the defaulted policy and the `context`; their verdicts are in `plugins`. ' +
      'A deny is answered with 200, `denied: true`, `deniedBy`, `denyMessages` and a warning (defaulting says what would happen); ' +
      'a plugin\'s rewrite of the image or policy is the answer, with `beforePlugins` keeping the API server\'s.',
  })
  @ApiOkResponse({ type: PullPolicyResultDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidPullPolicy (a value the API rejects) or InvalidRequest (naming the field)' })
  defaultPolicy(@Body() body: DefaultPullPolicyBody): PullPolicyAnswer | Promise<PullPolicyAnswer> {
    return this.policies.defaultPolicy(body);
  }

  @Post('manifests/default')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'defaultManifests',
    summary: 'Fill imagePullPolicy in Kubernetes manifests as the API server would, with a per-container report',
    description:
      'JSON body: manifests as YAML/JSON text, an object or a list; the answer keeps the form (YAML keeps comments and layout). ' +
      'Raw YAML body (Content-Type: application/yaml): answered with the defaulted YAML, warnings as `Warning: 299` headers; ' +
      'send Accept: application/json for the JSON report. Malformed YAML is a 400 InvalidManifest with line and column. ' +
      'The rule plugins (operation `manifest`) judge each container with its namespace (or `namespace`), labels, kind, name and container: ' +
      'verdicts per container in `containers[].plugins`, a deny as `containers[].denied` and a top-level warning (still 200), ' +
      'rewrites written into the manifests (YAML edited in place).',
  })
  @ApiConsumes('application/json', 'application/yaml')
  @ApiProduces('application/json', 'application/yaml')
  @ApiBody({ type: DefaultManifestsBody })
  @ApiQuery({ name: 'alwaysPullImages', required: false, enum: ['true', 'false'], description: 'For raw YAML bodies only' })
  @ApiQuery({ name: 'namespace', required: false, type: String, description: 'For raw YAML bodies only: namespace of objects that name none, for the rule plugins (default `default`)' })
  @ApiQuery({ name: 'kubernetesVersion', required: false, type: String, description: 'For raw YAML bodies only: the API server\'s release (decides the ImageVolume gate); default the newest modelled' })
  @ApiQuery({ name: 'featureGates', required: false, type: String, description: 'For raw YAML bodies only: `ImageVolume=true|false`, as kube-apiserver\'s --feature-gates' })
  @ApiOkResponse({ type: DefaultManifestsResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidManifest (malformed YAML, with line and column) or InvalidRequest' })
  defaultManifests(@ManifestsRequest(ManifestsBodyPipe) request: ManifestsRequestValue, @Res({ passthrough: true }) reply: FastifyReply): unknown {
    const result = this.policies.defaultManifests(request.input);
    return result instanceof Promise ? result.then((settled) => answerManifests(reply, request, settled)) : answerManifests(reply, request, result);
  }
}
