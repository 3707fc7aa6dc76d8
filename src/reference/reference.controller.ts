import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ParsedReference } from './parsed-reference.js';
import { ErrorResponseDto, ParsedReferenceDto, ParseReferenceQuery, ParseReferencesBody, ParseReferencesResponseDto } from './reference.dto.js';
import { type ParseOutcome, ReferenceService } from './reference.service.js';

@ApiTags('references')
@Controller('v1/references')
export class ReferenceController {
  constructor(private readonly references: ReferenceService) {}

  @Get('parse')
  @ApiOperation({ summary: 'Parse one image reference exactly as Kubernetes does' })
  @ApiOkResponse({ type: ParsedReferenceDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidReference (with Kubernetes\' error text) or InvalidRequest' })
  parse(@Query() query: ParseReferenceQuery): ParsedReference {
    return this.references.parse(query.reference);
  }

  @Post('parse')
  @HttpCode(200)
  @ApiOperation({ summary: 'Parse 1 to 10 000 image references; answers are in input order' })
  @ApiOkResponse({ type: ParseReferencesResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidRequest' })
  parseMany(@Body() body: ParseReferencesBody): { results: ParseOutcome[] } {
    return { results: this.references.parseMany(body.references) };
  }
}
