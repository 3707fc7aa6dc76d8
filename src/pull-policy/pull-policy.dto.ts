/**
 * REST and GraphQL shapes of the pull-policy routes: one class per shape carries the OpenAPI
 * documentation (@nestjs/swagger), the GraphQL type (@nestjs/graphql) and, for inputs, the validation
 * (class-validator; messages name the field).
 */
import { createRequire } from 'node:module';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArgsType, Field, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { IsBoolean, IsDefined, IsIn, IsOptional, IsString, MaxLength, ValidateBy, type ValidationOptions } from 'class-validator';
import type { ValueNode } from 'graphql';
import { enumObjectOf } from '../common/enum-object.js';
import { MAX_IMAGE_LENGTH, MAX_VERSION_LENGTH } from '../common/limits.js';
import { PluginReportDto } from '../plugin-host/plugin.dto.js';
import { PluginReportModel } from '../plugin-host/plugin.models.js';
import { PullPolicyEnum } from '../reference/reference.models.js';
import { CONTAINER_TYPES, type ContainerReason, type ContainerType, MANIFEST_FORMATS, type ManifestFormat, UPDATE_MODES, type UpdateMode } from './manifests.js';
import { type FeatureGatesInput, KUBERNETES_VERSIONS, NEWEST_KUBERNETES_VERSION, validateFeatureGates } from './kubernetes-release.js';
import type { PolicyAnswerReason, PolicyContextInput } from './pull-policy-plugins.js';
import { PULL_POLICIES, PULL_POLICY_REASONS, type PullPolicyReason } from './pull-policy.js';

// The graphql package ships CommonJS and ES module builds; @nestjs/graphql recognises custom scalars with
// `instanceof` against the CommonJS one (see plugin-host/plugin.models.ts).
const { GraphQLScalarType, Kind } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

const CONTAINER_REASONS: readonly ContainerReason[] = [...PULL_POLICY_REASONS, 'Kept', 'Plugin'];
const ANSWER_REASONS: readonly PolicyAnswerReason[] = [...PULL_POLICY_REASONS, 'Plugin'];
/** Longest namespace, label or object name accepted in a plugin context (Kubernetes names are at most 253). */
const MAX_NAME_LENGTH = 253;

export const PullPolicyReasonEnum = enumObjectOf(CONTAINER_REASONS);
registerEnumType(PullPolicyReasonEnum, {
  name: 'PullPolicyReason',
  description:
    'Why the policy is what it is: NoTag/TagLatest (Always), TagNotLatest/DigestOnly/InvalidImage (IfNotPresent) when defaulted; ' +
    'Specified (given), AlwaysPullImages (admission plugin), Kept (an update keeps the stored value), Plugin (a rule plugin changed it)',
});

export const UpdateModeEnum = enumObjectOf(UPDATE_MODES);
registerEnumType(UpdateModeEnum, { name: 'ManifestUpdateMode', description: 'apply: kubectl apply / patch / server-side apply; replace: a full PUT' });

export const ContainerListEnum = enumObjectOf(CONTAINER_TYPES);
registerEnumType(ContainerListEnum, { name: 'ContainerList', description: 'The container list of a report entry, or imageVolume for a pod volume that mounts an image' });

export const ManifestFormatEnum = enumObjectOf(MANIFEST_FORMATS);
registerEnumType(ManifestFormatEnum, { name: 'ManifestFormat' });

// ---------------------------------------------------------------------------------------------------
// The rule plugins: where the image is used, and what they said
// ---------------------------------------------------------------------------------------------------

const LABEL_PROBLEM = 'must map label names to string values';

/** Why a labels value is not `{name: "value"}` (or null when it is). */
function labelsProblem(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return LABEL_PROBLEM;
  for (const [key, label] of Object.entries(value)) {
    if (typeof label !== 'string') return `${LABEL_PROBLEM} (label ${JSON.stringify(key)} is ${label === null ? 'null' : typeof label})`;
    if (key.length > MAX_NAME_LENGTH || label.length > MAX_NAME_LENGTH) return `${LABEL_PROBLEM} of at most ${MAX_NAME_LENGTH} characters`;
  }
  return null;
}

function labelsLiteral(node: ValueNode): unknown {
  if (node.kind !== Kind.OBJECT) throw new TypeError(`labels ${LABEL_PROBLEM}`);
  return Object.fromEntries(
    node.fields.map((field) => {
      if (field.value.kind !== Kind.STRING) throw new TypeError(`labels ${LABEL_PROBLEM} (label "${field.name.value}" is not a string)`);
      return [field.name.value, field.value.value];
    }),
  );
}

function parseLabels(value: unknown): Record<string, string> {
  const problem = labelsProblem(value);
  if (problem !== null) throw new TypeError(`labels ${problem}`);
  return { ...(value as Record<string, string>) };
}

/** Kubernetes labels as one JSON object (`{"tier": "frontend"}`), the same shape as in REST. */
export const LabelsScalar = new GraphQLScalarType({
  name: 'Labels',
  description: 'Kubernetes labels: a JSON object mapping label names to string values, e.g. {tier: "frontend"}',
  serialize: (value) => value,
  parseValue: parseLabels,
  parseLiteral: (node) => parseLabels(labelsLiteral(node)),
});

const CONTEXT_STRINGS = ['namespace', 'kind', 'name', 'container'] as const;

/** Why a context is not valid (or null): an object; namespace, kind, name, container strings; labels string values. Other keys pass to the plugins. */
export function contextProblem(value: unknown, field = 'context'): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${field} must be an object`;
  const context = value as Record<string, unknown>;
  for (const key of CONTEXT_STRINGS) {
    const item = context[key];
    if (item === undefined || item === null) continue;
    if (typeof item !== 'string') return `${field}.${key} must be a string`;
    if (item.length > MAX_NAME_LENGTH) return `${field}.${key} must be at most ${MAX_NAME_LENGTH} characters`;
  }
  if (context.labels !== undefined && context.labels !== null) {
    const problem = labelsProblem(context.labels);
    if (problem !== null) return `${field}.labels ${problem}`;
  }
  return null;
}

export function IsPluginContext(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPluginContext',
      validator: {
        validate: (value: unknown) => contextProblem(value) === null,
        defaultMessage: (args) => contextProblem(args?.value, args?.property ?? 'context') ?? 'context is not valid',
      },
    },
    options,
  );
}

@InputType('PluginContextInput', { description: 'Where the image is used, as the rule plugins see it; every field is optional' })
export class PluginContextInputDto implements PolicyContextInput {
  [key: string]: unknown;
  @ApiPropertyOptional({ example: 'prod' }) @Field(() => String, { nullable: true }) namespace?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { tier: 'frontend' } })
  @Field(() => LabelsScalar, { nullable: true })
  labels?: Record<string, string>;
  @ApiPropertyOptional({ example: 'Deployment' }) @Field(() => String, { nullable: true }) kind?: string;
  @ApiPropertyOptional({ example: 'web', description: 'Name of the object' }) @Field(() => String, { nullable: true }) name?: string;
  @ApiPropertyOptional({ example: 'nginx', description: 'Name of the container' }) @Field(() => String, { nullable: true }) container?: string;
}

@ObjectType('PolicyBeforePlugins', { description: 'The image and policy as the API server\'s defaulting gave them, before the rule plugins changed them' })
export class PolicyBeforePluginsDto {
  @ApiProperty({ example: 'nginx:1.25' }) @Field() image: string;
  @ApiProperty({ enum: [...PULL_POLICIES] }) @Field(() => PullPolicyEnum) imagePullPolicy: string;
  @ApiProperty({ enum: PULL_POLICY_REASONS }) @Field(() => PullPolicyReasonEnum) reason: PullPolicyReason;
}

@ObjectType('ContainerBeforePlugins', { description: 'A container\'s image and policy as the defaulting left them, before the rule plugins changed them' })
export class ContainerBeforePluginsDto {
  @ApiProperty({ type: String, nullable: true }) @Field(() => String, { nullable: true }) image: string | null;
  @ApiProperty({ type: String, nullable: true }) @Field(() => String, { nullable: true }) imagePullPolicy: string | null;
  @ApiProperty({ enum: CONTAINER_REASONS }) @Field(() => PullPolicyReasonEnum) reason: ContainerReason;
}

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

  @ApiPropertyOptional({ type: String, description: 'The given value; empty or absent means "let the API server default it"', example: 'IfNotPresent', nullable: true })
  @Field(() => String, { nullable: true, description: 'Always, IfNotPresent or Never; empty or absent: defaulted' })
  @IsOptional()
  @IsString({ message: 'imagePullPolicy must be a string' })
  imagePullPolicy?: string | null;

  @ApiPropertyOptional({ description: 'Model a cluster with the AlwaysPullImages admission plugin (Pod create)', default: false })
  @Field(() => Boolean, { nullable: true })
  @IsOptional()
  @IsBoolean({ message: 'alwaysPullImages must be a boolean' })
  alwaysPullImages?: boolean;

  @ApiPropertyOptional({
    type: PluginContextInputDto,
    description: 'Where the image is used (namespace, labels, kind, name, container): the rule plugins decide with it. Other keys are passed to the plugins as they are.',
  })
  @Field(() => PluginContextInputDto, { nullable: true, description: 'Where the image is used, for the rule plugins' })
  @IsOptional()
  @IsPluginContext()
  context?: PluginContextInputDto | null;
}

@ObjectType('PullPolicyResult', { description: 'The imagePullPolicy the API server gives a container, then what the rule plugins say' })
export class PullPolicyResultDto {
  @ApiProperty({ example: 'nginx:1.25', description: 'The image (as a rule plugin rewrote it, if one did)' }) @Field() image: string;
  @ApiProperty({ enum: [...PULL_POLICIES], example: 'IfNotPresent', description: 'The policy (as a rule plugin set it, if one did)' })
  @Field(() => PullPolicyEnum)
  imagePullPolicy: string;
  @ApiProperty({ description: 'True when the API server filled the field' }) @Field() defaulted: boolean;
  @ApiProperty({ description: 'False when the kubelet cannot parse the image (InvalidImageName)' }) @Field() imageValid: boolean;
  @ApiProperty({ enum: ANSWER_REASONS, example: 'TagNotLatest', description: 'Why the policy is what it is; Plugin when a rule plugin changed it' })
  @Field(() => PullPolicyReasonEnum)
  reason: PolicyAnswerReason;
  @ApiProperty({ type: [String], description: 'Including the rule plugins\' warnings and, when one denied, "denied by policy: …"' }) @Field(() => [String]) warnings: string[];
  @ApiProperty({ type: [PluginReportDto], description: 'The rule plugins\' verdicts, in run order (empty when none ran)' }) @Field(() => [PluginReportModel]) plugins: PluginReportDto[];
  @ApiProperty({ description: 'True when a rule plugin denied the image (the answer is still 200: defaulting says what would happen)' }) @Field() denied: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'allowed-registries', description: 'The plugin that denied' }) @Field(() => String, { nullable: true }) deniedBy: string | null;
  @ApiProperty({ type: [String], description: '`<plugin>: <message>` of the deny' }) @Field(() => [String]) denyMessages: string[];
  @ApiProperty({ type: PolicyBeforePluginsDto, nullable: true, description: 'What the API server gave before the rule plugins changed the image or policy; null when they changed nothing' })
  @Field(() => PolicyBeforePluginsDto, { nullable: true })
  beforePlugins: PolicyBeforePluginsDto | null;
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

/** The API server's release: `kubernetesVersion` of the manifest routes. */
export const KUBERNETES_VERSION_DESCRIPTION =
  `The API server's Kubernetes release (${KUBERNETES_VERSIONS[0]} to ${NEWEST_KUBERNETES_VERSION}; \`v1.33.4\` is read as 1.33); default ${NEWEST_KUBERNETES_VERSION}. ` +
  'It decides the ImageVolume feature gate: image volumes (volumes[].image) are unknown before 1.31, dropped while the gate is off (1.31–1.34 by default), defaulted like containers while it is on';

export function IsFeatureGates(options?: ValidationOptions): PropertyDecorator {
  const problem = (value: unknown, property: string): string | null => {
    try {
      validateFeatureGates(value, property);
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : `${property} is not valid`;
    }
  };
  return ValidateBy(
    {
      name: 'isFeatureGates',
      validator: {
        validate: (value: unknown, args) => problem(value, args?.property ?? 'featureGates') === null,
        defaultMessage: (args) => problem(args?.value, args?.property ?? 'featureGates') ?? 'featureGates is not valid',
      },
    },
    options,
  );
}

@InputType('FeatureGatesInput', { description: 'The API server\'s --feature-gates that change the answer (only ImageVolume); unset gates take the release\'s default' })
export class FeatureGatesInputDto implements FeatureGatesInput {
  @ApiPropertyOptional({ description: 'KEP-4639 image volumes: alpha off 1.31, beta off 1.33, beta on from 1.35' })
  @Field(() => Boolean, { nullable: true })
  ImageVolume?: boolean;
}

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

  @ApiPropertyOptional({ enum: [...UPDATE_MODES], default: 'apply', description: 'How previous is updated: apply (kubectl apply, patch, set image, server-side apply) or replace (PUT)' })
  @IsOptional()
  @IsIn([...UPDATE_MODES], { message: `update must be one of ${UPDATE_MODES.join(', ')}` })
  update?: UpdateMode;

  @ApiPropertyOptional({ default: 'default', description: 'Namespace of objects that name none (the kubectl context), as the rule plugins see it' })
  @IsOptional()
  @IsString({ message: 'namespace must be a string' })
  @MaxLength(MAX_NAME_LENGTH, { message: `namespace must be at most ${MAX_NAME_LENGTH} characters` })
  namespace?: string;

  @ApiPropertyOptional({ description: KUBERNETES_VERSION_DESCRIPTION, example: NEWEST_KUBERNETES_VERSION })
  @IsOptional()
  @IsString({ message: 'kubernetesVersion must be a string' })
  @MaxLength(MAX_VERSION_LENGTH, { message: `kubernetesVersion must be at most ${MAX_VERSION_LENGTH} characters` })
  kubernetesVersion?: string;

  @ApiPropertyOptional({ type: FeatureGatesInputDto, description: 'The API server\'s feature gates over the release\'s defaults, e.g. {"ImageVolume": true} for a 1.33 cluster that enabled the beta' })
  @IsOptional()
  @IsFeatureGates()
  featureGates?: FeatureGatesInput;
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
  @IsIn([...UPDATE_MODES], { message: `update must be one of ${UPDATE_MODES.join(', ')}` })
  update?: UpdateMode | null;

  @Field(() => String, { nullable: true, description: 'Namespace of objects that name none (the kubectl context), as the rule plugins see it; default "default"' })
  @IsOptional()
  @IsString({ message: 'namespace must be a string' })
  @MaxLength(MAX_NAME_LENGTH, { message: `namespace must be at most ${MAX_NAME_LENGTH} characters` })
  namespace?: string | null;

  @Field(() => String, { nullable: true, description: KUBERNETES_VERSION_DESCRIPTION })
  @IsOptional()
  @IsString({ message: 'kubernetesVersion must be a string' })
  @MaxLength(MAX_VERSION_LENGTH, { message: `kubernetesVersion must be at most ${MAX_VERSION_LENGTH} characters` })
  kubernetesVersion?: string | null;

  @Field(() => FeatureGatesInputDto, { nullable: true, description: 'The API server\'s feature gates over the release\'s defaults (only ImageVolume)' })
  @IsOptional()
  featureGates?: FeatureGatesInputDto | null;
}

@ObjectType('PreviousContainer')
export class PreviousContainerDto {
  @ApiProperty({ type: String, nullable: true }) @Field(() => String, { nullable: true }) image: string | null;
  @ApiProperty({ enum: [...PULL_POLICIES] }) @Field(() => PullPolicyEnum) imagePullPolicy: string;
}

@ObjectType('ContainerPullPolicy', { description: 'One container of the manifests and the policy it gets' })
export class ContainerReportDto {
  @ApiProperty({ example: 'Deployment' }) @Field() kind: string;
  @ApiProperty({ type: String, nullable: true, example: 'apps/v1' }) @Field(() => String, { nullable: true }) apiVersion: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'prod' }) @Field(() => String, { nullable: true }) namespace: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'web' }) @Field(() => String, { nullable: true }) name: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The container\'s name', example: 'nginx' }) @Field(() => String, { nullable: true }) container: string | null;
  @ApiProperty({ enum: CONTAINER_TYPES, description: 'The container list, or imageVolume for a pod volume with an image source (image = its image.reference, imagePullPolicy = its image.pullPolicy)' })
  @Field(() => ContainerListEnum)
  containerType: ContainerType;
  @ApiPropertyOptional({ type: String, description: 'Image volumes only: the volume\'s name', example: 'models' })
  @Field(() => String, { nullable: true, description: 'Image volumes only: the volume\'s name' })
  volume?: string | null;
  @ApiPropertyOptional({ type: [String], description: 'Image volumes only: the containers that mount the volume (a failed pull of it fails their start)' })
  @Field(() => [String], { nullable: true, description: 'Image volumes only: the containers that mount the volume' })
  mountedBy?: string[];
  @ApiProperty({ example: 'spec.template.spec.containers[0]' }) @Field() path: string;
  @ApiProperty({ description: '0-based index of the YAML document or list element' }) @Field(() => Int) document: number;
  @ApiProperty({ type: Number, nullable: true, description: '0-based index inside a List\'s items' }) @Field(() => Int, { nullable: true }) item: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'nginx:1.25' }) @Field(() => String, { nullable: true }) image: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'What the API server stores (an invalid given value is shown as given)', example: 'IfNotPresent' })
  @Field(() => String, { nullable: true })
  imagePullPolicy: string | null;
  @ApiProperty({ type: String, nullable: true, enum: [...PULL_POLICIES], description: 'What pods run with (Always for templates under AlwaysPullImages)' })
  @Field(() => PullPolicyEnum, { nullable: true })
  podPullPolicy: string | null;
  @ApiProperty() @Field() defaulted: boolean;
  @ApiProperty({ enum: CONTAINER_REASONS }) @Field(() => PullPolicyReasonEnum) reason: ContainerReason;
  @ApiProperty() @Field() imageValid: boolean;
  @ApiProperty({ type: PreviousContainerDto, nullable: true }) @Field(() => PreviousContainerDto, { nullable: true }) previous: PreviousContainerDto | null;
  @ApiProperty({ type: [String] }) @Field(() => [String]) warnings: string[];
  @ApiProperty({ type: [String], description: 'Why the API server would reject the object, in its words' }) @Field(() => [String]) errors: string[];
  @ApiProperty({ type: [PluginReportDto], description: 'The rule plugins\' verdicts on this container, in run order (empty when none ran)' })
  @Field(() => [PluginReportModel])
  plugins: PluginReportDto[];
  @ApiProperty({ description: 'True when a rule plugin denied this container' }) @Field() denied: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'The plugin that denied' }) @Field(() => String, { nullable: true }) deniedBy: string | null;
  @ApiProperty({ type: [String], description: '`<plugin>: <message>` of the deny' }) @Field(() => [String]) denyMessages: string[];
  @ApiProperty({ type: ContainerBeforePluginsDto, nullable: true, description: 'The image and policy before the rule plugins changed them (written into the manifests); null when unchanged' })
  @Field(() => ContainerBeforePluginsDto, { nullable: true })
  beforePlugins: ContainerBeforePluginsDto | null;
}

@ObjectType('ManifestsResult')
export class DefaultManifestsResponseDto {
  @ApiProperty({ enum: [...MANIFEST_FORMATS], description: 'The form the manifests were given in (and are answered in)' }) @Field(() => ManifestFormatEnum) format: ManifestFormat;
  @ApiProperty({ ...MANIFEST_SCHEMA, description: 'The manifests with imagePullPolicy filled in, in the form given' } as never)
  @Field(() => String, { description: 'The manifests with imagePullPolicy filled in (YAML or JSON text as given)' })
  manifests: unknown;
  @ApiProperty({ type: [ContainerReportDto] }) @Field(() => [ContainerReportDto]) containers: ContainerReportDto[];
  @ApiProperty({ type: [String] }) @Field(() => [String]) warnings: string[];
  @ApiProperty({ type: [String], description: 'Every rejection, prefixed with the object' }) @Field(() => [String]) errors: string[];
  @ApiProperty({ description: 'True when a rule plugin denied some container (its warning is in warnings; see containers[].denied)' }) @Field() denied: boolean;
}
