import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ErrorResponseDto } from '../reference/reference.dto.js';
import { answerManifests, ManifestsBodyPipe, ManifestsRequest, type ManifestsRequestValue } from './manifests-request.js';
import { DefaultManifestsBody, DefaultManifestsResponseDto, DefaultPullPolicyBody, PullPolicyResultDto } from './pull-policy.dto.js';
import type { PullPolicyResult } from './pull-policy.js';
import { PullPolicyService } from './pull-policy.service.js';

@ApiTags('pull-policy')
@Controller('v1')
export class PullPolicyController {
  constructor(private readonly policies: PullPolicyService) {}

  @Post('pull-policy/default')
  @HttpCode(200)
  @ApiOperation({ summary: 'The imagePullPolicy the API server gives a container (defaulting, validation, AlwaysPullImages)' })
  @ApiOkResponse({ type: PullPolicyResultDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidPullPolicy (a value the API rejects) or InvalidRequest' })
  defaultPolicy(@Body() body: DefaultPullPolicyBody): PullPolicyResult {
    return this.policies.defaultPolicy(body);
  }

  @Post('manifests/default')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Fill imagePullPolicy in Kubernetes manifests as the API server would, with a per-container report',
    description:
      'JSON body: manifests as YAML/JSON text, an object or a list; the answer keeps the form (YAML keeps comments and layout). ' +
      'Raw YAML body (Content-Type: application/yaml): answered with the defaulted YAML, warnings as `Warning: 299` headers; ' +
      'send Accept: application/json for the JSON report. Malformed YAML is a 400 InvalidManifest with line and column.',
  })
  @ApiConsumes('application/json', 'application/yaml')
  @ApiProduces('application/json', 'application/yaml')
  @ApiBody({ type: DefaultManifestsBody })
  @ApiQuery({ name: 'alwaysPullImages', required: false, enum: ['true', 'false'], description: 'For raw YAML bodies only' })
  @ApiOkResponse({ type: DefaultManifestsResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidManifest (malformed YAML, with line and column) or InvalidRequest' })
  defaultManifests(@ManifestsRequest(ManifestsBodyPipe) request: ManifestsRequestValue, @Res({ passthrough: true }) reply: FastifyReply): unknown {
    return answerManifests(reply, request, this.policies.defaultManifests(request.input));
  }
}
