import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiGatewayTimeoutResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ErrorResponseDto } from '../reference/reference.dto.js';
import { DigestAnswerDto, DigestsBody, DigestsResponseDto } from './digest.dto.js';
import { digestAnswerSchema, digestQuerySchema } from './digest.schemas.js';
import { type DigestAnswer, type DigestOutcome, DigestService } from './digest.service.js';

@ApiTags('digests')
@Controller('v1/digests')
export class DigestsController {
  constructor(private readonly digests: DigestService) {}

  @Get()
  @ApiOperation({ summary: 'Resolve an image tag to its digest at the registry (cached; stale answers while the registry fails)' })
  @ApiOkResponse({ type: DigestAnswerDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidReference or InvalidRequest' })
  @ApiForbiddenResponse({ type: ErrorResponseDto, description: 'RegistryNotAllowed (egress guard)' })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'ManifestUnknown' })
  @ApiBadGatewayResponse({ type: ErrorResponseDto, description: 'RegistryUnauthorized' })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'RegistryUnavailable or RegistryRateLimited (with Retry-After)' })
  @ApiGatewayTimeoutResponse({ type: ErrorResponseDto, description: 'RegistryTimeout' })
  @ApiQuery({ name: 'image', required: true, description: 'Image reference as written in a pod spec', example: 'nginx:1.25' })
  @ApiQuery({ name: 'platform', required: false, description: "os/architecture[/variant]: also answer the digest of that platform's manifest", example: 'linux/arm64' })
  // The hot route of cached lookups: Fastify's compiled schemas check the query and write the answer.
  @RouteSchema({ querystring: digestQuerySchema, response: { 200: digestAnswerSchema } })
  resolve(@Query('image') image: string, @Query('platform') platform?: string): Promise<DigestAnswer> {
    return this.digests.resolve(image, { platform });
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Resolve 1 to 1 000 images, optionally with pull secrets; answers are in input order' })
  @ApiOkResponse({ type: DigestsResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidRequest' })
  async resolveMany(@Body() body: DigestsBody): Promise<{ results: DigestOutcome[] }> {
    return { results: await this.digests.resolveMany(body.images, body) };
  }
}
