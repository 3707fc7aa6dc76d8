/**
 * REST and GraphQL shapes of the pull-policy routes: one class per shape carries the OpenAPI
 * documentation (@nestjs/swagger), the GraphQL type (@nestjs/graphql) and, for inputs, the validation
 * (class-validator; messages name the field).
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArgsType, Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { IsBoolean, IsDefined, IsIn, IsOptional, IsString, MaxLength, ValidateBy, type ValidationOptions } from 'class-validator';
import { PullPolicyEnum } from '../reference/reference.models.js';
import { CONTAINER_LISTS, type ContainerList, type ContainerReason, type ManifestFormat, type UpdateMode } from './manifests.js';
import { PULL_POLICY_REASONS, type PullPolicyReason } from './pull-policy.js';

/** Longest image string accepted (a reference is at most a few hundred characters; this bounds abuse). */
export const MAX_IMAGE_LENGTH = 4096;

const CONTAINER_REASONS: readonly ContainerReason[] = [...PULL_POLICY_REASONS, 'Kept'];
const FORMATS: readonly ManifestFormat[] = ['yaml', 'json', 'object', 'list'];
const UPDATE_MODES: readonly UpdateMode[] = ['apply', 'replace'];

export enum PullPolicyReasonEnum {
  NoTag = 'NoTag',
  TagLatest = 'TagLatest',
  TagNotLatest = 'TagNotLatest',
  DigestOnly = 'DigestOnly',
  InvalidImage = 'InvalidImage',
  Specified = 'Specified',
  AlwaysPullImages = 'AlwaysPullImages',
  Kept = 'Kept',
}
registerEnumType(PullPolicyReasonEnum, {
  name: 'PullPolicyReason',
  description:
    'Why the policy is what it is: NoTag/TagLatest (Always), TagNotLatest/DigestOnly/InvalidImage (IfNotPresent) when defaulted; ' +
    'Specified (given), AlwaysPullImages (admission plugin), Kept (an update keeps the stored value)',
});

export enum UpdateModeEnum {
  apply = 'apply',
  replace = 'replace',
}
registerEnumType(UpdateModeEnum, { name: 'ManifestUpdateMode', description: 'apply: kubectl apply / patch / server-side apply; replace: a full PUT' });

export enum ContainerListEnum {
  initContainers = 'initContainers',
  containers = 'containers',
  ephemeralContainers = 'ephemeralContainers',
}
registerEnumType(ContainerListEnum, { name: 'ContainerList' });

export enum ManifestFormatEnum {
  yaml = 'yaml',
  json = 'json',
  object = 'object',
  list = 'list',
}
registerEnumType(ManifestFormatEnum, { name: 'ManifestFormat' });

// ---------------------------------------------------------------------------------------------------
// POST /v1/pull-policy/default, GraphQL defaultPullPolicy
// ---------------------------------------------------------------------------------------------------

@ArgsType()
export class DefaultPullPolicyBody {
  @ApiProperty({ description: 'Image as written in the container spec', example: 'nginx:1.25', maxLength: MAX_IMAGE_LENGTH })
  @Field({ description: 'Image as written in the container spec' })
  @IsDefined({ message: 'image is required' })
  @IsString({ message: 'image must be a string' })
  @MaxLength(MAX_IMAGE_LENGTH, { message: `image must be at most ${MAX_IMAGE_LENGTH} characters` })
  image: string;

  @ApiPropertyOptional({ description: 'The given value; empty or absent means "let the API server default it"', example: 'IfNotPresent', nullable: true })
  @Field(() => String, { nullable: true, description: 'Always, IfNotPresent or Never; empty or absent: defaulted' })
  @IsOptional()
  @IsString({ message: 'imagePullPolicy must be a string' })
  imagePullPolicy?: string | null;

  @ApiPropertyOptional({ description: 'Model a cluster with the AlwaysPullImages admission plugin (Pod create)', default: false })
  @Field(() => Boolean, { nullable: true })
  @IsOptional()
  @IsBoolean({ message: 'alwaysPullImages must be a boolean' })
  alwaysPullImages?: boolean;
}

@ObjectType('PullPolicyResult', { description: 'The imagePullPolicy the API server gives a container' })
export class PullPolicyResultDto {
  @ApiProperty({ example: 'nginx:1.25' }) @Field() image: string;
  @ApiProperty({ enum: ['Always', 'IfNotPresent', 'Never'], example: 'IfNotPresent' }) @Field(() => PullPolicyEnum) imagePullPolicy: string;
  @ApiProperty({ description: 'True when the API server filled the field' }) @Field() defaulted: boolean;
  @ApiProperty({ description: 'False when the kubelet cannot parse the image (InvalidImageName)' }) @Field() imageValid: boolean;
  @ApiProperty({ enum: PULL_POLICY_REASONS, example: 'TagNotLatest' }) @Field(() => PullPolicyReasonEnum) reason: PullPolicyReason;
  @ApiProperty({ type: [String] }) @Field(() => [String]) warnings: string[];
}

// ---------------------------------------------------------------------------------------------------
// POST /v1/manifests/default, GraphQL defaultManifests
// ---------------------------------------------------------------------------------------------------

function IsManifestInput(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isManifestInput',
      validator: {
        validate: (value: unknown) => typeof value === 'string' || (value !== null && typeof value === 'object'),
        defaultMessage: (args) => `${args?.property ?? 'manifests'} must be YAML or JSON text, a Kubernetes object or a list of objects`,
      },
    },
    options,
  );
}

const MANIFEST_SCHEMA = {
  oneOf: [
    { type: 'string', description: 'YAML (one or more documents) or JSON text' },
    { type: 'object', description: 'One Kubernetes object (a List is walked item by item)', additionalProperties: true },
    { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'Kubernetes objects' },
  ],
};

export class DefaultManifestsBody {
  @ApiProperty({ ...MANIFEST_SCHEMA, description: 'YAML or JSON text, an object or a list; the answer keeps the form' } as never)
  @IsDefined({ message: 'manifests is required' })
  @IsManifestInput()
  manifests: unknown;

  @ApiPropertyOptional({ ...MANIFEST_SCHEMA, description: 'The objects before this update (applied manifest or live object): models kubectl apply' } as never)
  @IsOptional()
  @IsManifestInput()
  previous?: unknown;

  @ApiPropertyOptional({ description: 'Model the AlwaysPullImages admission plugin', default: false })
  @IsOptional()
  @IsBoolean({ message: 'alwaysPullImages must be a boolean' })
  alwaysPullImages?: boolean;

  @ApiPropertyOptional({ enum: UPDATE_MODES, default: 'apply', description: 'How previous is updated: apply (kubectl apply, patch, set image, server-side apply) or replace (PUT)' })
  @IsOptional()
  @IsIn(UPDATE_MODES as string[], { message: 'update must be one of apply, replace' })
  update?: UpdateMode;
}

@ArgsType()
export class DefaultManifestsArgs {
  @Field({ description: 'YAML (one or more documents) or JSON text' })
  @IsString({ message: 'manifests must be a string' })
  manifests: string;

  @Field(() => String, { nullable: true, description: 'The same objects before this update (YAML or JSON text)' })
  @IsOptional()
  @IsString({ message: 'previous must be a string' })
  previous?: string | null;

  @Field(() => Boolean, { nullable: true })
  @IsOptional()
  @IsBoolean({ message: 'alwaysPullImages must be a boolean' })
  alwaysPullImages?: boolean | null;

  @Field(() => UpdateModeEnum, { nullable: true })
  @IsOptional()
  @IsIn(UPDATE_MODES as string[], { message: 'update must be one of apply, replace' })
  update?: UpdateMode | null;
}

@ObjectType('PreviousContainer')
export class PreviousContainerDto {
  @ApiProperty({ type: String, nullable: true }) @Field(() => String, { nullable: true }) image: string | null;
  @ApiProperty({ enum: ['Always', 'IfNotPresent', 'Never'] }) @Field(() => PullPolicyEnum) imagePullPolicy: string;
}

@ObjectType('ContainerPullPolicy', { description: 'One container of the manifests and the policy it gets' })
export class ContainerReportDto {
  @ApiProperty({ example: 'Deployment' }) @Field() kind: string;
  @ApiProperty({ type: String, nullable: true, example: 'apps/v1' }) @Field(() => String, { nullable: true }) apiVersion: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'prod' }) @Field(() => String, { nullable: true }) namespace: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'web' }) @Field(() => String, { nullable: true }) name: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The container\'s name', example: 'nginx' }) @Field(() => String, { nullable: true }) container: string | null;
  @ApiProperty({ enum: CONTAINER_LISTS }) @Field(() => ContainerListEnum) containerType: ContainerList;
  @ApiProperty({ example: 'spec.template.spec.containers[0]' }) @Field() path: string;
  @ApiProperty({ description: '0-based index of the YAML document or list element' }) @Field(() => Int) document: number;
  @ApiProperty({ type: Number, nullable: true, description: '0-based index inside a List\'s items' }) @Field(() => Int, { nullable: true }) item: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'nginx:1.25' }) @Field(() => String, { nullable: true }) image: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'What the API server stores (an invalid given value is shown as given)', example: 'IfNotPresent' })
  @Field(() => String, { nullable: true })
  imagePullPolicy: string | null;
  @ApiProperty({ type: String, nullable: true, enum: ['Always', 'IfNotPresent', 'Never'], description: 'What pods run with (Always for templates under AlwaysPullImages)' })
  @Field(() => PullPolicyEnum, { nullable: true })
  podPullPolicy: string | null;
  @ApiProperty() @Field() defaulted: boolean;
  @ApiProperty({ enum: CONTAINER_REASONS }) @Field(() => PullPolicyReasonEnum) reason: ContainerReason;
  @ApiProperty() @Field() imageValid: boolean;
  @ApiProperty({ type: PreviousContainerDto, nullable: true }) @Field(() => PreviousContainerDto, { nullable: true }) previous: PreviousContainerDto | null;
  @ApiProperty({ type: [String] }) @Field(() => [String]) warnings: string[];
  @ApiProperty({ type: [String], description: 'Why the API server would reject the object, in its words' }) @Field(() => [String]) errors: string[];
}

@ObjectType('ManifestsResult')
export class DefaultManifestsResponseDto {
  @ApiProperty({ enum: FORMATS, description: 'The form the manifests were given in (and are answered in)' }) @Field(() => ManifestFormatEnum) format: ManifestFormat;
  @ApiProperty({ ...MANIFEST_SCHEMA, description: 'The manifests with imagePullPolicy filled in, in the form given' } as never)
  @Field(() => String, { description: 'The manifests with imagePullPolicy filled in (YAML or JSON text as given)' })
  manifests: unknown;
  @ApiProperty({ type: [ContainerReportDto] }) @Field(() => [ContainerReportDto]) containers: ContainerReportDto[];
  @ApiProperty({ type: [String] }) @Field(() => [String]) warnings: string[];
  @ApiProperty({ type: [String], description: 'Every rejection, prefixed with the object' }) @Field(() => [String]) errors: string[];
}
