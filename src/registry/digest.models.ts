/** GraphQL types of the digest lookup (same field names as REST). */
import { ArgsType, Field, InputType, ObjectType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { ErrorModel } from '../reference/reference.models.js';
import { MAX_DOCKERCONFIGJSON_LENGTH } from '../common/limits.js';
import { MAX_IMAGES_PER_REQUEST, MAX_PULL_SECRETS_PER_LOOKUP } from './digest.dto.js';

@ObjectType('PlatformDigest')
export class PlatformDigestModel {
  @Field({ description: 'os/architecture[/variant]' }) platform: string;
  @Field() digest: string;
  @Field() mediaType: string;
}

@ObjectType('DigestAnswer', { description: 'An image tag resolved to its digest' })
export class DigestAnswerModel {
  @Field({ description: 'The image as asked' }) image: string;
  @Field({ description: 'The normalised reference that was looked up' }) reference: string;
  @Field() digest: string;
  @Field() mediaType: string;
  @Field(() => PlatformDigestModel, { nullable: true }) platform: PlatformDigestModel | null;
  @Field({ description: 'registry or cache' }) source: string;
  @Field() stale: boolean;
  @Field() resolvedAt: string;
  @Field() expiresAt: string;
}

@ObjectType('DigestResult')
export class DigestResultModel {
  @Field() ok: boolean;
  @Field() input: string;
  @Field(() => DigestAnswerModel, { nullable: true }) answer: DigestAnswerModel | null;
  @Field(() => ErrorModel, { nullable: true }) error: ErrorModel | null;
}

@InputType('PullSecretInput')
export class PullSecretInputModel {
  @Field({ description: 'The .dockerconfigjson value of a pull secret' })
  @IsString()
  @MaxLength(MAX_DOCKERCONFIGJSON_LENGTH, { message: `dockerconfigjson must be at most ${MAX_DOCKERCONFIGJSON_LENGTH} characters` })
  dockerconfigjson: string;
}

@ArgsType()
export class DigestArgs {
  @Field() @IsString() image: string;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() platform?: string | null;
}

@ArgsType()
export class DigestsArgs {
  @Field(() => [String])
  @ArrayMinSize(1, { message: 'images must contain at least 1 item' })
  @ArrayMaxSize(MAX_IMAGES_PER_REQUEST, { message: `images must contain at most ${MAX_IMAGES_PER_REQUEST} items` })
  @IsString({ each: true })
  images: string[];

  @Field(() => String, { nullable: true }) @IsOptional() @IsString() platform?: string | null;

  @Field(() => [PullSecretInputModel], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(MAX_PULL_SECRETS_PER_LOOKUP, { message: `pullSecrets must contain at most ${MAX_PULL_SECRETS_PER_LOOKUP} items` })
  @ValidateNested({ each: true })
  @Type(() => PullSecretInputModel)
  pullSecrets?: PullSecretInputModel[] | null;
}
