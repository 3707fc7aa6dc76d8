import { Body, Controller, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiBadRequestResponse, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JsonBufferInterceptor } from '../common/json-buffer.interceptor.js';
import { ErrorResponseDto, ParseReferencesBody, ParseReferencesResponseDto } from './reference.dto.js';
import { parseManyBodySchema } from './reference.schemas.js';
import { type ParseOutcome, ReferenceService } from './reference.service.js';

@ApiTags('references')
// GET /v1/references/parse is served by Fastify directly: reference.routes.ts.
@Controller('v1/references')
export class ReferenceController {
  constructor(private readonly references: ReferenceService) {}

  @Post('parse')
  @HttpCode(200)
  @ApiOperation({ operationId: 'parseReferences', summary: 'Parse 1 to 10 000 image references; answers are in input order' })
  @ApiOkResponse({ type: ParseReferencesResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidRequest' })
  @ApiBody({ type: ParseReferencesBody })
  // ajv checks the body (class-validator costs about 1 ms for 10 000 items); the answer, up to several
  // megabytes, is written straight into a Buffer.
  @RouteSchema({ body: parseManyBodySchema })
  @UseInterceptors(JsonBufferInterceptor)
  parseMany(@Body() body: { references: string[] }): { results: readonly ParseOutcome[] } {
    return { results: this.references.parseMany(body.references) };
  }
}
