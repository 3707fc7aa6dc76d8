import { Body, Controller, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JsonBufferInterceptor } from '../common/json-buffer.interceptor.js';
import { ErrorResponseDto } from '../reference/reference.dto.js';
import { DigestsBody, DigestsResponseDto } from './digest.dto.js';
import { type DigestOutcome, DigestService } from './digest.service.js';

@ApiTags('digests')
// GET /v1/digests (cached lookups, the hot route) is served by Fastify directly: digests.routes.ts.
@Controller('v1/digests')
export class DigestsController {
  constructor(private readonly digests: DigestService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ operationId: 'resolveDigests', summary: 'Resolve 1 to 1 000 images, optionally with pull secrets; answers are in input order' })
  @ApiOkResponse({ type: DigestsResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidRequest' })
  @UseInterceptors(JsonBufferInterceptor) // up to 1 000 answers
  async resolveMany(@Body() body: DigestsBody): Promise<{ results: DigestOutcome[] }> {
    return { results: await this.digests.resolveMany(body.images, body) };
  }
}
