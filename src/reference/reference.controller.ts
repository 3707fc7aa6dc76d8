import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiBadRequestResponse, ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { ParsedReference } from './parsed-reference.js';
import { ErrorResponseDto, ParsedReferenceDto, ParseReferencesBody, ParseReferencesResponseDto } from './reference.dto.js';
import { parsedReferenceSchema, parseManyBodySchema, parseQuerySchema } from './reference.schemas.js';
import { type ParseOutcome, ReferenceService } from './reference.service.js';

@ApiTags('references')
@Controller('v1/references')
export class ReferenceController {
  constructor(private readonly references: ReferenceService) {}

  @Get('parse')
  @ApiOperation({ summary: 'Parse one image reference exactly as Kubernetes does' })
  @ApiQuery({ name: 'reference', required: true, description: 'Image reference as written in a pod spec', example: 'nginx:1.25' })
  @ApiOkResponse({ type: ParsedReferenceDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidReference (with Kubernetes\' error text) or InvalidRequest' })
  // The hottest route: Fastify's compiled schemas check the query and write the answer.
  @RouteSchema({ querystring: parseQuerySchema, response: { 200: parsedReferenceSchema } })
  parse(@Query('reference') reference: string): ParsedReference {
    return this.references.parse(reference);
  }

  @Post('parse')
  @HttpCode(200)
  @ApiOperation({ summary: 'Parse 1 to 10 000 image references; answers are in input order' })
  @ApiOkResponse({ type: ParseReferencesResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidRequest' })
  @ApiBody({ type: ParseReferencesBody })
  // ajv checks the body (class-validator costs about 1 ms for 10 000 items); the answer, up to several
  // megabytes, is written by JSON.stringify, which beats a compiled serialiser on large string-heavy output.
  @RouteSchema({ body: parseManyBodySchema })
  parseMany(@Body() body: { references: string[] }): { results: ParseOutcome[] } {
    return { results: this.references.parseMany(body.references) };
  }
}
