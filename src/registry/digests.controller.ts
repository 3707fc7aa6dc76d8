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
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../reference/reference.dto.js';
import { DigestAnswerDto, DigestQuery, DigestsBody, DigestsResponseDto } from './digest.dto.js';
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
  resolve(@Query() query: DigestQuery): Promise<DigestAnswer> {
    return this.digests.resolve(query.image, { platform: query.platform });
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
