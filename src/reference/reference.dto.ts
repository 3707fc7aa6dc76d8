import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsString } from 'class-validator';
import { ErrorCode } from '../common/errors.js';
import { DEFAULTED_PULL_POLICIES } from './parsed-reference.js';

export const MAX_REFERENCES_PER_REQUEST = 10_000;

export class ParseReferencesBody {
  @ApiProperty({ type: [String], minItems: 1, maxItems: MAX_REFERENCES_PER_REQUEST, example: ['nginx', 'ghcr.io/org/app:1.2'] })
  @IsDefined({ message: 'references is required' })
  @IsArray({ message: 'references must be an array of strings' })
  @ArrayMinSize(1, { message: 'references must contain at least 1 item' })
  @ArrayMaxSize(MAX_REFERENCES_PER_REQUEST, { message: `references must contain at most ${MAX_REFERENCES_PER_REQUEST} items` })
  @IsString({ each: true, message: 'each item of references must be a string' })
  references: string[];
}

export class ErrorBodyDto {
  @ApiProperty({ enum: Object.values(ErrorCode) }) code: string;
  @ApiProperty() message: string;
}

export class ErrorResponseDto {
  @ApiProperty({ type: ErrorBodyDto }) error: ErrorBodyDto;
}

export class ParsedReferenceDto {
  @ApiProperty({ example: 'nginx:1.25' }) input: string;
  @ApiProperty({ example: 'docker.io/library/nginx' }) name: string;
  @ApiProperty({ example: 'docker.io' }) domain: string;
  @ApiProperty({ example: 'library/nginx' }) path: string;
  @ApiProperty({ type: String, nullable: true, example: '1.25' }) tag: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) digest: string | null;
  @ApiProperty({ example: 'docker.io/library/nginx:1.25' }) canonical: string;
  @ApiProperty({ example: 'nginx:1.25' }) familiar: string;
  @ApiProperty({ example: 'nginx' }) familiarName: string;
  @ApiProperty({ example: 'docker.io/library/nginx:1.25' }) pullReference: string;
  @ApiProperty({ enum: [...DEFAULTED_PULL_POLICIES], example: 'IfNotPresent' }) defaultPullPolicy: string;
}

export class ParseOutcomeDto {
  @ApiProperty() ok: boolean;
  @ApiPropertyOptional({ type: ParsedReferenceDto, description: 'Present when ok' }) reference?: ParsedReferenceDto;
  @ApiPropertyOptional({ description: 'The input, when not ok' }) input?: string;
  @ApiPropertyOptional({ type: ErrorBodyDto, description: 'Present when not ok' }) error?: ErrorBodyDto;
}

export class ParseReferencesResponseDto {
  @ApiProperty({ type: [ParseOutcomeDto] }) results: ParseOutcomeDto[];
}
