/**
 * The pull-decision shapes for OpenAPI (@nestjs/swagger) and GraphQL (@nestjs/graphql), one class per
 * shape. GraphQL inputs are validated by class-validator (the global pipe); the REST route is validated
 * by its compiled JSON schema (decision.schemas.ts), which describes the same fields.
 */
import { applyDecorators } from '@nestjs/common';
import { ArgsType, Field, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsDefined, IsIn, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { PluginReportDto } from '../plugin-host/plugin.dto.js';
import { PluginReportModel } from '../plugin-host/plugin.models.js';
import { GATE_STAGES, NEWEST_KUBERNETES_VERSION } from '../pull-policy/kubernetes-release.js';
import { CONTAINER_TYPES, UPDATE_MODES, type UpdateMode } from '../pull-policy/manifests.js';
import { FeatureGatesInputDto, IsFeatureGates, IsPluginContext, KUBERNETES_VERSION_DESCRIPTION, PluginContextInputDto } from '../pull-policy/pull-policy.dto.js';
import { enumObjectOf } from '../common/enum-object.js';
import { PULL_POLICIES } from '../reference/parsed-reference.js';
import { PullPolicyEnum } from '../reference/reference.models.js';
import { ErrorBodyDto } from '../reference/reference.dto.js';
import { LIMITS } from './decision.schemas.js';
import { KUBELET_VERSIONS, NEWEST_KUBELET_VERSION } from './kubelet-versions.js';

const KUBELET_VERSION_DESCRIPTION =
  `The kubelet's release, ${KUBELET_VERSIONS[0]} to ${NEWEST_KUBELET_VERSION} (also v1.35, 1.35.2, v1.35.2-eks-…): decides the feature gates' defaults ` +
  `(KubeletEnsureSecretPulledImages: off in 1.33–1.34, on from 1.35). Absent: ${NEWEST_KUBELET_VERSION}, reported as assumed.`;
import {
  DECISION_REASONS,
  GATE_SOURCES,
  KUBELET_EVENT_TYPES,
  POLICY_SOURCES,
  PULL_ACTIONS,
  PULLED_BY,
  type PulledBy,
  REGISTRY_SOURCES,
  REGISTRY_STATUSES,
  VERIFICATION_OUTCOMES,
  VERIFICATION_POLICIES,
  VERIFICATION_RULES,
} from './decision.types.js';

/**
 * An optional list of at most `maxItems` nested inputs, said once for OpenAPI, GraphQL and class-validator.
 * The decorators are applied in the order TypeScript applies the same stack written top to bottom.
 */
function OptionalNestedList(item: new () => unknown, maxItems: number, description?: string): PropertyDecorator {
  return applyDecorators(
    Type(() => item),
    ValidateNested({ each: true }),
    ArrayMaxSize(maxItems),
    IsArray(),
    IsOptional(),
    Field(() => [item], { nullable: true }),
    ApiPropertyOptional(description === undefined ? { type: [item] } : { type: [item], description }),
  );
}

export const PulledByEnum = enumObjectOf(PULLED_BY);
registerEnumType(PulledByEnum, { name: 'PulledBy', description: 'How the image reached the node: preloaded, pulled by the kubelet, or only a pull intent recorded' });

export const PullActionEnum = enumObjectOf(PULL_ACTIONS);
registerEnumType(PullActionEnum, { name: 'PullAction' });

export const PolicySourceEnum = enumObjectOf(POLICY_SOURCES);
registerEnumType(PolicySourceEnum, { name: 'PolicySource' });


// ---------------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------------

const SECRET_HASH_DESCRIPTION =
  'The credential hash the kubelet compares (KEP-2535): hashAuthConfig (pkg/credentialprovider/keyring.go) of the Secret\'s credential for the image\'s ' +
  'registry, i.e. lower-case hex sha256 of the JSON of {username, password, email}, as the kubelet records it; compared as given (a sha256: prefix is ' +
  'accepted). Issue 12 replaced the earlier contract, the sha256 of the .dockerconfigjson bytes.';
const SECRET_CONTENT_DESCRIPTION =
  'The .dockerconfigjson content (JSON, or base64 as in Secret.data): read with the kubelet\'s keyring rules for the image decided, so only its ' +
  'entries for that registry count, each hashed as the kubelet hashes it (auth or username/password, other registries and white space do not ' +
  'matter); also used to ask the registry. Never echoed.';

@InputType('SecretInput', { description: 'A dockerconfigjson Secret as the kubelet identifies it' })
export class SecretInputDto {
  @ApiPropertyOptional({ description: 'Default: the pod\'s namespace' }) @Field(() => String, { nullable: true }) @IsOptional() @IsString() namespace?: string;
  @ApiProperty({ example: 'regcred' }) @Field() @IsString() name: string;
  @ApiPropertyOptional({ example: '0b6f…' }) @Field(() => String, { nullable: true }) @IsOptional() @IsString() uid?: string;
  @ApiPropertyOptional({ description: SECRET_HASH_DESCRIPTION })
  @Field(() => String, { nullable: true, description: SECRET_HASH_DESCRIPTION })
  @IsOptional()
  @IsString()
  @MaxLength(LIMITS.secretHashLength)
  hash?: string;
  @ApiPropertyOptional({ description: SECRET_CONTENT_DESCRIPTION })
  @Field(() => String, { nullable: true, description: SECRET_CONTENT_DESCRIPTION })
  @IsOptional()
  @IsString()
  @MaxLength(LIMITS.dockerconfigjsonLength)
  dockerconfigjson?: string;
}

@InputType('ServiceAccountInput')
export class ServiceAccountInputDto {
  @ApiPropertyOptional() @Field(() => String, { nullable: true }) @IsOptional() @IsString() namespace?: string;
  @ApiProperty({ example: 'default' }) @Field() @IsString() name: string;
  @ApiPropertyOptional() @Field(() => String, { nullable: true }) @IsOptional() @IsString() uid?: string;
}

@InputType('PulledWithInput', { description: 'One credential the kubelet recorded for a pull: exactly one of anonymous, secret, serviceAccount' })
export class PulledWithInputDto {
  @ApiPropertyOptional({ description: 'Pulled anonymously or with node credentials' }) @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() anonymous?: boolean;
  @ApiPropertyOptional({ type: SecretInputDto }) @Field(() => SecretInputDto, { nullable: true }) @IsOptional() @ValidateNested() @Type(() => SecretInputDto) secret?: SecretInputDto;
  @ApiPropertyOptional({ type: ServiceAccountInputDto })
  @Field(() => ServiceAccountInputDto, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => ServiceAccountInputDto)
  serviceAccount?: ServiceAccountInputDto;
  @ApiPropertyOptional({ description: 'The repository pulled (default: every repository of the image\'s references)', example: 'docker.io/library/nginx' })
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  repository?: string;
}

@InputType('NodeImageInput', { description: 'An image on the node' })
export class NodeImageInputDto {
  @ApiProperty({ type: [String], example: ['nginx:1.25', 'nginx@sha256:…'], description: 'Its names, normalised as the runtime does' })
  @Field(() => [String])
  @IsArray()
  @ArrayMaxSize(LIMITS.referencesPerImage)
  @IsString({ each: true })
  references: string[];
  @ApiPropertyOptional({ description: 'Repository digest (index digest for multi-architecture images)' }) @Field(() => String, { nullable: true }) @IsOptional() @IsString() digest?: string;
  @ApiPropertyOptional({ enum: PULLED_BY, description: 'Default: kubelet when pulledWith is given, else preloaded' })
  @Field(() => PulledByEnum, { nullable: true })
  @IsOptional()
  @IsIn(PULLED_BY as unknown as string[])
  pulledBy?: PulledBy;
  @OptionalNestedList(PulledWithInputDto, LIMITS.credentialsPerImage, 'The kubelet\'s pulled record')
  pulledWith?: PulledWithInputDto[];
}

@InputType('CredentialVerificationInput', { description: 'Kubelet credential verification (KEP-2535)' })
export class CredentialVerificationInputDto {
  @ApiPropertyOptional({ description: 'Feature gate KubeletEnsureSecretPulledImages; default true when this object is given' })
  @Field(() => Boolean, { nullable: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
  @ApiPropertyOptional({ enum: VERIFICATION_POLICIES, default: 'NeverVerifyPreloadedImages' }) @Field(() => String, { nullable: true }) @IsOptional() @IsString() policy?: string;
  @ApiPropertyOptional({ type: [String], example: ['docker.io/library/nginx', 'registry.example.com/base/*'] })
  @Field(() => [String], { nullable: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(LIMITS.allowlist)
  @IsString({ each: true })
  allowlist?: string[];
}

@InputType('NodeInput')
export class NodeInputDto {
  @OptionalNestedList(NodeImageInputDto, LIMITS.nodeImages)
  images?: NodeImageInputDto[];
  @ApiPropertyOptional({ example: 'linux/amd64' }) @Field(() => String, { nullable: true }) @IsOptional() @IsString() platform?: string;
  @ApiPropertyOptional({ type: CredentialVerificationInputDto })
  @Field(() => CredentialVerificationInputDto, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => CredentialVerificationInputDto)
  credentialVerification?: CredentialVerificationInputDto;
  @ApiPropertyOptional({ description: 'Simulates the runtime failing to inspect images (ImageInspectError)' })
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  inspectError?: string;
  @ApiPropertyOptional({ description: KUBELET_VERSION_DESCRIPTION, example: NEWEST_KUBELET_VERSION, maxLength: LIMITS.versionLength })
  @Field(() => String, { nullable: true, description: KUBELET_VERSION_DESCRIPTION })
  @IsOptional()
  @IsString()
  @MaxLength(LIMITS.versionLength)
  kubeletVersion?: string;
}

@InputType('PodInput')
export class PodInputDto {
  @ApiPropertyOptional({ example: 'prod', default: 'default' }) @Field(() => String, { nullable: true }) @IsOptional() @IsString() namespace?: string;
  @ApiPropertyOptional() @Field(() => String, { nullable: true }) @IsOptional() @IsString() name?: string;
  @OptionalNestedList(SecretInputDto, LIMITS.describedSecrets)
  imagePullSecrets?: SecretInputDto[];
  @ApiPropertyOptional({ type: ServiceAccountInputDto })
  @Field(() => ServiceAccountInputDto, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => ServiceAccountInputDto)
  serviceAccount?: ServiceAccountInputDto;
}

@InputType('SimulatedRegistryInput', { description: 'Simulate the registry\'s answer instead of asking it (what-if)' })
export class SimulatedRegistryInputDto {
  @ApiPropertyOptional({ default: true, description: 'false: unreachable' }) @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() available?: boolean;
  @ApiPropertyOptional({ default: true, description: 'false: manifest unknown' }) @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() exists?: boolean;
  @ApiPropertyOptional({ default: true, description: 'false: the pod\'s credentials are refused' }) @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() authorized?: boolean;
  @ApiPropertyOptional({ description: 'The digest the reference resolves to now' }) @Field(() => String, { nullable: true }) @IsOptional() @IsString() digest?: string;
  @ApiPropertyOptional({ type: [String], example: ['linux/amd64', 'linux/arm64'] }) @Field(() => [String], { nullable: true }) @IsOptional() @IsArray() @IsString({ each: true }) platforms?: string[];
}

@InputType('PullDecisionInput', { description: 'What the kubelet knows when it starts a container' })
export class PullDecisionInputDto {
  @ApiProperty({ example: 'nginx:1.25', maxLength: LIMITS.imageLength })
  @Field()
  @IsDefined({ message: 'image is required' })
  @IsString({ message: 'image must be a string' })
  @MaxLength(LIMITS.imageLength)
  image: string;
  @ApiPropertyOptional({ type: String, description: 'Always, IfNotPresent or Never; absent: defaulted as the API server does', nullable: true })
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  imagePullPolicy?: string | null;
  @ApiPropertyOptional({ default: false }) @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() alwaysPullImages?: boolean;
  @ApiPropertyOptional({ type: NodeInputDto }) @Field(() => NodeInputDto, { nullable: true }) @IsOptional() @ValidateNested() @Type(() => NodeInputDto) node?: NodeInputDto;
  @ApiPropertyOptional({ type: PodInputDto }) @Field(() => PodInputDto, { nullable: true }) @IsOptional() @ValidateNested() @Type(() => PodInputDto) pod?: PodInputDto;
  @ApiPropertyOptional({ type: SimulatedRegistryInputDto })
  @Field(() => SimulatedRegistryInputDto, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => SimulatedRegistryInputDto)
  registry?: SimulatedRegistryInputDto;
  @ApiPropertyOptional({ default: false, description: 'Also ask the registry about images used from the node with a mutable tag (mixed-versions warning)' })
  @Field(() => Boolean, { nullable: true })
  @IsOptional()
  @IsBoolean()
  detectDrift?: boolean;
  @ApiPropertyOptional({
    type: PluginContextInputDto,
    description: 'Where the image is used (namespace, labels, kind, name, container): the rule plugins decide with it. Other keys are passed to the plugins as they are (REST).',
  })
  @Field(() => PluginContextInputDto, { nullable: true, description: 'Where the image is used, for the rule plugins' })
  @IsOptional()
  @IsPluginContext()
  context?: PluginContextInputDto | null;
}

export class PullDecisionsBatchBody {
  @ApiProperty({ type: [PullDecisionInputDto], minItems: 1, maxItems: LIMITS.batch })
  decisions: PullDecisionInputDto[];
}

// ---------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------

@ObjectType('KubeletEvent', { description: 'An event as `kubectl describe pod` shows it' })
export class KubeletEventDto {
  @ApiProperty({ enum: [...KUBELET_EVENT_TYPES] }) @Field() type: string;
  @ApiProperty({ example: 'Pulling' }) @Field() reason: string;
  @ApiProperty({ example: 'Pulling image "nginx:1.25"' }) @Field() message: string;
}

const ASSUMED_DESCRIPTION =
  'What the service assumed where it cannot know what the kubelet knows: which credential a recorded pull used, whether a Secret given by hash or ' +
  'by coordinates only has an entry for the image\'s registry. Empty when the comparison needed no assumption.';

@ObjectType('CredentialVerification')
export class CredentialVerificationDto {
  @ApiProperty() @Field() enabled: boolean;
  @ApiProperty({ type: String, nullable: true, enum: VERIFICATION_POLICIES }) @Field(() => String, { nullable: true }) policy: string | null;
  @ApiProperty({ description: 'The pod must prove access to use the image on the node' }) @Field() required: boolean;
  @ApiProperty({ enum: [...VERIFICATION_OUTCOMES] }) @Field() outcome: string;
  @ApiProperty({ enum: [...VERIFICATION_RULES] }) @Field() rule: string;
  @ApiProperty() @Field() message: string;
  @ApiProperty({ type: [String], description: ASSUMED_DESCRIPTION })
  @Field(() => [String], { description: ASSUMED_DESCRIPTION })
  assumed: string[];
}

@ObjectType('RegistryError')
export class RegistryErrorDto {
  @ApiProperty() @Field() code: string;
  @ApiProperty() @Field() message: string;
}

@ObjectType('RegistryReport', { description: 'What the registry said (or the caller\'s simulation)' })
export class RegistryReportDto {
  @ApiProperty() @Field() consulted: boolean;
  @ApiProperty({ type: String, nullable: true, enum: [...REGISTRY_SOURCES] }) @Field(() => String, { nullable: true }) source: string | null;
  @ApiProperty({ type: String, nullable: true }) @Field(() => String, { nullable: true }) reference: string | null;
  @ApiProperty({ type: String, nullable: true, enum: [...REGISTRY_STATUSES] }) @Field(() => String, { nullable: true }) status: string | null;
  @ApiProperty({ type: String, nullable: true }) @Field(() => String, { nullable: true }) digest: string | null;
  @ApiProperty() @Field() stale: boolean;
  @ApiProperty({ type: RegistryErrorDto, nullable: true }) @Field(() => RegistryErrorDto, { nullable: true }) error: RegistryErrorDto | null;
}

@ObjectType('WaitingState', { description: 'The container status a failing start shows (state.waiting)' })
export class WaitingStateDto {
  @ApiProperty({ example: 'ErrImagePull' }) @Field() reason: string;
  @ApiProperty() @Field() message: string;
}

@ObjectType('PullBackOff', { description: 'How the kubelet retries: 10 s doubling to 300 s, per pod and image' })
export class BackOffDto {
  @ApiProperty({ example: 'ImagePullBackOff' }) @Field() reason: string;
  @ApiProperty() @Field() message: string;
  @ApiProperty({ type: [Number], example: [10, 20, 40, 80, 160, 300] }) @Field(() => [Int]) delaysSeconds: number[];
}

@ObjectType('KubeletFeatureGate', { description: 'A kubelet feature gate as the decision used it (defaults: pkg/features/kube_features.go)' })
export class FeatureGateReportDto {
  @ApiProperty() @Field() enabled: boolean;
  @ApiProperty({ description: 'The release\'s default' }) @Field() byDefault: boolean;
  @ApiProperty({ enum: [...GATE_STAGES] }) @Field() stage: string;
  @ApiProperty({ enum: [...GATE_SOURCES], description: 'What set it: the release\'s default, or node.credentialVerification' }) @Field() source: string;
}

@ObjectType('KubeletFeatureGates')
export class KubeletFeatureGatesDto {
  @ApiProperty({ type: FeatureGateReportDto }) @Field(() => FeatureGateReportDto) KubeletEnsureSecretPulledImages: FeatureGateReportDto;
  @ApiProperty({ type: FeatureGateReportDto }) @Field(() => FeatureGateReportDto) ImageVolume: FeatureGateReportDto;
}

@ObjectType('KubeletReport', { description: 'Which kubelet the decision modelled' })
export class KubeletReportDto {
  @ApiProperty({ example: NEWEST_KUBELET_VERSION, enum: KUBELET_VERSIONS }) @Field() version: string;
  @ApiProperty({ description: 'node.kubeletVersion was not given: the newest modelled release was assumed' }) @Field() assumed: boolean;
  @ApiProperty({ type: KubeletFeatureGatesDto }) @Field(() => KubeletFeatureGatesDto) featureGates: KubeletFeatureGatesDto;
}

@ObjectType('PullDecision', { description: 'What the kubelet does when it starts the container, and why' })
export class PullDecisionDto {
  @ApiProperty({ example: 'nginx:1.25' }) @Field() image: string;
  @ApiProperty({ enum: [...PULL_POLICIES] }) @Field(() => PullPolicyEnum) imagePullPolicy: string;
  @ApiProperty({ enum: [...POLICY_SOURCES] }) @Field(() => PolicySourceEnum) policySource: string;
  @ApiProperty({ enum: [...PULL_ACTIONS] }) @Field(() => PullActionEnum) action: string;
  @ApiProperty({ enum: [...DECISION_REASONS], description: 'For Fail: the kubelet\'s error name' }) @Field() reason: string;
  @ApiProperty({ description: 'For Fail: the kubelet\'s event text' }) @Field() message: string;
  @ApiProperty({ type: String, nullable: true, description: 'What the runtime pulls (by digest when the registry resolved the tag)' })
  @Field(() => String, { nullable: true })
  pullReference: string | null;
  @ApiProperty({ type: String, nullable: true }) @Field(() => String, { nullable: true }) resolvedDigest: string | null;
  @ApiProperty({ type: String, nullable: true }) @Field(() => String, { nullable: true }) localDigest: string | null;
  @ApiProperty({ type: CredentialVerificationDto }) @Field(() => CredentialVerificationDto) credentialVerification: CredentialVerificationDto;
  @ApiProperty({ type: KubeletReportDto }) @Field(() => KubeletReportDto) kubelet: KubeletReportDto;
  @ApiProperty({ type: RegistryReportDto }) @Field(() => RegistryReportDto) registry: RegistryReportDto;
  @ApiProperty({ type: KubeletEventDto, nullable: true, description: 'The decisive event' }) @Field(() => KubeletEventDto, { nullable: true }) event: KubeletEventDto | null;
  @ApiProperty({ type: [KubeletEventDto], description: 'Every event of this start, in order' }) @Field(() => [KubeletEventDto]) events: KubeletEventDto[];
  @ApiProperty({ type: WaitingStateDto, nullable: true }) @Field(() => WaitingStateDto, { nullable: true }) waiting: WaitingStateDto | null;
  @ApiProperty({ type: BackOffDto, nullable: true }) @Field(() => BackOffDto, { nullable: true }) backOff: BackOffDto | null;
  @ApiProperty({ type: [PluginReportDto], description: 'The rule plugins\' verdicts, in run order' }) @Field(() => [PluginReportModel]) plugins: PluginReportDto[];
  @ApiProperty({ type: [String] }) @Field(() => [String]) warnings: string[];
}

@ObjectType('PullDecisionResult', { description: 'One decision of a batch: ok with decision, or not ok with error' })
export class PullDecisionResultDto {
  @ApiProperty() @Field() ok: boolean;
  @ApiPropertyOptional({ type: PullDecisionDto }) @Field(() => PullDecisionDto, { nullable: true }) decision?: PullDecisionDto | null;
  @ApiPropertyOptional({ type: ErrorBodyDto }) @Field(() => RegistryErrorDto, { nullable: true }) error?: ErrorBodyDto | null;
}

export class PullDecisionsBatchResponseDto {
  @ApiProperty({ type: [PullDecisionResultDto] }) results: PullDecisionResultDto[];
}

// ---------------------------------------------------------------------------------------------------
// Decisions for every container of some manifests
// ---------------------------------------------------------------------------------------------------

const MANIFEST_SCHEMA = {
  oneOf: [{ type: 'string', description: 'YAML or JSON text' }, { type: 'object', additionalProperties: true }, { type: 'array', items: { type: 'object', additionalProperties: true } }],
};

@ArgsType()
export class ManifestDecisionsArgs {
  @ApiProperty({ ...MANIFEST_SCHEMA, description: 'YAML or JSON text, an object or a list (Deployments, Pods, CronJobs, Lists …)' } as never)
  @Field({ description: 'YAML or JSON text' })
  @IsString({ message: 'manifests must be a string' })
  manifests: string;
  @ApiPropertyOptional({ ...MANIFEST_SCHEMA, description: 'The objects before this update (models kubectl apply)' } as never)
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  previous?: string;
  @ApiPropertyOptional({ default: false }) @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() alwaysPullImages?: boolean;
  @ApiPropertyOptional({ enum: [...UPDATE_MODES], default: 'apply' }) @Field(() => String, { nullable: true }) @IsOptional() @IsIn([...UPDATE_MODES]) update?: UpdateMode;
  @ApiPropertyOptional({ default: 'default', description: 'Namespace of objects that name none' }) @Field(() => String, { nullable: true }) @IsOptional() @IsString() namespace?: string;
  @ApiPropertyOptional({ type: NodeInputDto }) @Field(() => NodeInputDto, { nullable: true }) @IsOptional() @ValidateNested() @Type(() => NodeInputDto) node?: NodeInputDto;
  @ApiPropertyOptional({ type: SimulatedRegistryInputDto })
  @Field(() => SimulatedRegistryInputDto, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => SimulatedRegistryInputDto)
  registry?: SimulatedRegistryInputDto;
  @ApiPropertyOptional({ default: false }) @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() detectDrift?: boolean;
  @OptionalNestedList(SecretInputDto, LIMITS.describedSecrets, 'Details of the Secrets the pods name in imagePullSecrets (matched by namespace and name)')
  secrets?: SecretInputDto[];
  @OptionalNestedList(ServiceAccountInputDto, LIMITS.describedSecrets, 'Details of the service accounts the pods run as')
  serviceAccounts?: ServiceAccountInputDto[];
  @ApiPropertyOptional({ description: KUBERNETES_VERSION_DESCRIPTION, example: NEWEST_KUBERNETES_VERSION })
  @Field(() => String, { nullable: true, description: KUBERNETES_VERSION_DESCRIPTION })
  @IsOptional()
  @IsString()
  kubernetesVersion?: string;
  @ApiPropertyOptional({ type: FeatureGatesInputDto, description: 'The API server\'s feature gates over the release\'s defaults (only ImageVolume)' })
  @Field(() => FeatureGatesInputDto, { nullable: true })
  @IsOptional()
  @IsFeatureGates()
  featureGates?: FeatureGatesInputDto;
}

@ObjectType('ContainerPullDecision', { description: 'The decision for one container of the manifests' })
export class ContainerDecisionDto {
  @ApiProperty({ example: 'Deployment' }) @Field() kind: string;
  @ApiProperty({ example: 'prod' }) @Field() namespace: string;
  @ApiProperty({ type: String, nullable: true }) @Field(() => String, { nullable: true }) name: string | null;
  @ApiProperty({ type: String, nullable: true }) @Field(() => String, { nullable: true }) container: string | null;
  @ApiProperty({ enum: [...CONTAINER_TYPES], description: 'imageVolume: a pod volume with an image source (pulled once per pod, before the containers)' })
  @Field()
  containerType: string;
  @ApiPropertyOptional({ type: String, description: 'Image volumes only: the volume\'s name' }) @Field(() => String, { nullable: true }) volume?: string | null;
  @ApiPropertyOptional({ type: [String], description: 'Image volumes only: the containers that mount it (they fail to start when it fails)' })
  @Field(() => [String], { nullable: true })
  mountedBy?: string[];
  @ApiProperty({ example: 'spec.template.spec.containers[0]' }) @Field() path: string;
  @ApiProperty() @Field(() => Int) document: number;
  @ApiProperty({ type: Number, nullable: true }) @Field(() => Int, { nullable: true }) item: number | null;
  @ApiProperty({ type: PullDecisionDto, nullable: true }) @Field(() => PullDecisionDto, { nullable: true }) decision: PullDecisionDto | null;
  @ApiProperty({ type: ErrorBodyDto, nullable: true }) @Field(() => RegistryErrorDto, { nullable: true }) error: ErrorBodyDto | null;
}

@ObjectType('ManifestPullDecisions')
export class ManifestDecisionsDto {
  @ApiProperty({ type: [ContainerDecisionDto] }) @Field(() => [ContainerDecisionDto]) results: ContainerDecisionDto[];
  @ApiProperty({ type: [String] }) @Field(() => [String]) warnings: string[];
  @ApiProperty({ type: [String] }) @Field(() => [String]) errors: string[];
}
