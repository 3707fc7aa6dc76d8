/** REST request and response shapes of /v1/digests (validation and OpenAPI documentation). */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { MAX_DOCKERCONFIGJSON_LENGTH } from '../common/limits.js';
import { ErrorBodyDto } from '../reference/reference.dto.js';
import { DIGEST_SOURCES } from './digest.service.js';

export const MAX_IMAGES_PER_REQUEST = 1_000;
/**
 * Pull secrets per digest lookup (REST and GraphQL). Each one is a docker config parsed into a keyring that
 * is tried against the registry in order, as the kubelet does, so this bounds the registry round trips one
 * lookup may cost. Not the same bound as decision.schemas.ts LIMITS.describedSecrets (100): that one bounds
 * Secrets and service accounts described to a decision, mostly by name, uid and hash for the credential
 * checks, whose content is optional.
 */
export const MAX_PULL_SECRETS_PER_LOOKUP = 20;

export class PullSecretDto {
  @ApiProperty({ description: 'The `.dockerconfigjson` value of a kubernetes.io/dockerconfigjson Secret (never echoed or logged)' })
  @IsDefined({ message: 'dockerconfigjson is required' })
  @IsString({ message: 'dockerconfigjson must be a string' })
  @MaxLength(MAX_DOCKERCONFIGJSON_LENGTH, { message: `dockerconfigjson must be at most ${MAX_DOCKERCONFIGJSON_LENGTH} characters` })
  dockerconfigjson: string;
}

export class DigestsBody {
  @ApiProperty({ type: [String], minItems: 1, maxItems: MAX_IMAGES_PER_REQUEST, example: ['nginx:1.25', 'ghcr.io/org/app:1.2'] })
  @IsDefined({ message: 'images is required' })
  @IsArray({ message: 'images must be an array of strings' })
  @ArrayMinSize(1, { message: 'images must contain at least 1 item' })
  @ArrayMaxSize(MAX_IMAGES_PER_REQUEST, { message: `images must contain at most ${MAX_IMAGES_PER_REQUEST} items` })
  @IsString({ each: true, message: 'each item of images must be a string' })
  images: string[];

  @ApiPropertyOptional({ example: 'linux/amd64' })
  @IsOptional()
  @IsString({ message: 'platform must be a string' })
  platform?: string;

  @ApiPropertyOptional({ type: [PullSecretDto], maxItems: MAX_PULL_SECRETS_PER_LOOKUP, description: 'Tried before the node credentials, as the kubelet does' })
  @IsOptional()
  @IsArray({ message: 'pullSecrets must be an array' })
  @ArrayMaxSize(MAX_PULL_SECRETS_PER_LOOKUP, { message: `pullSecrets must contain at most ${MAX_PULL_SECRETS_PER_LOOKUP} items` })
  @ValidateNested({ each: true })
  @Type(() => PullSecretDto)
  pullSecrets?: PullSecretDto[];
}

export class PlatformDigestDto {
  @ApiProperty({ example: 'linux/arm64/v8' }) platform: string;
  @ApiProperty({ example: 'sha256:…' }) digest: string;
  @ApiProperty({ example: 'application/vnd.oci.image.manifest.v1+json' }) mediaType: string;
}

export class DigestAnswerDto {
  @ApiProperty({ description: 'The image as asked', example: 'nginx:1.25' }) image: string;
  @ApiProperty({ description: 'The normalised reference that was looked up', example: 'docker.io/library/nginx:1.25' }) reference: string;
  @ApiProperty({ description: 'Digest of what the reference names (an index for multi-platform images)', example: 'sha256:…' }) digest: string;
  @ApiProperty({ example: 'application/vnd.oci.image.index.v1+json' }) mediaType: string;
  @ApiProperty({ type: PlatformDigestDto, nullable: true, description: 'Present when a platform was asked for' }) platform: PlatformDigestDto | null;
  @ApiProperty({ enum: [...DIGEST_SOURCES] }) source: string;
  @ApiProperty({ description: 'True when the registry failed and the last known digest answers' }) stale: boolean;
  @ApiProperty({ format: 'date-time' }) resolvedAt: string;
  @ApiProperty({ format: 'date-time', description: 'When the answer stops being fresh' }) expiresAt: string;
}

export class DigestOutcomeDto extends DigestAnswerDto {
  @ApiProperty() ok: boolean;
  @ApiPropertyOptional({ description: 'The input, when not ok' }) input?: string;
  @ApiPropertyOptional({ type: ErrorBodyDto, description: 'Present when not ok' }) error?: ErrorBodyDto;
}

export class DigestsResponseDto {
  @ApiProperty({ type: [DigestOutcomeDto], description: 'In input order: `{ok: true, ...answer}` or `{ok: false, input, error}`' })
  results: DigestOutcomeDto[];
}
