/** GraphQL types of the plugins (same field names as REST). */
import { createRequire } from 'node:module';
import { Field, Float, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { ValueNode } from 'graphql';
import { enumObjectOf } from '../common/enum-object.js';
import { PLUGIN_VERDICTS } from '../common/plugin-run.js';
import { PLUGIN_OPERATIONS } from './plugin-api.js';
import { FAILURE_POLICIES } from './plugins-config.js';

// The graphql package ships CommonJS and ES module builds; @nestjs/graphql uses the CommonJS one and
// recognises custom scalars with `instanceof`. Taking the class from the same build keeps that true
// under every loader (Node picks CommonJS for `import 'graphql'`, Vite would pick the ES module build).
const { GraphQLScalarType, Kind } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

export enum PluginStatusEnum {
  active = 'active',
  failed = 'failed',
  disabled = 'disabled',
}
registerEnumType(PluginStatusEnum, { name: 'PluginStatus', description: 'active: runs; failed: did not load (optional plugins only, otherwise the start stops); disabled: off in the plugins config' });

export const PluginFailurePolicyEnum = enumObjectOf(FAILURE_POLICIES);
registerEnumType(PluginFailurePolicyEnum, { name: 'PluginFailurePolicy', description: 'What a throw, rejection or timeout of the plugin means: Fail denies, Ignore skips with a warning' });

export const PluginOperationEnum = enumObjectOf(PLUGIN_OPERATIONS);
registerEnumType(PluginOperationEnum, { name: 'PluginOperation', description: 'Where the service asks the plugins' });

export const PluginVerdictEnum = enumObjectOf(PLUGIN_VERDICTS);
registerEnumType(PluginVerdictEnum, { name: 'PluginVerdict' });

function literal(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field) => [field.name.value, literal(field.value)]));
    case Kind.LIST:
      return node.values.map(literal);
    case Kind.STRING:
    case Kind.ENUM:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    default:
      return null;
  }
}

/** A plugin's options: any JSON object (secrets redacted). */
export const PluginOptionsScalar = new GraphQLScalarType({
  name: 'PluginOptions',
  description: "A plugin's options from the plugins config, as a JSON object (secret values are `[redacted]`)",
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (node) => literal(node),
});

@ObjectType('Plugin', { description: 'A rule plugin of this service' })
export class PluginModel {
  @Field({ description: 'Unique name, [a-z0-9-]+' }) name: string;
  @Field(() => String, { nullable: true }) version: string | null;
  @Field(() => String, { nullable: true }) description: string | null;
  @Field(() => String, { nullable: true, description: 'The module, relative to PLUGINS_DIR; null when not found' }) source: string | null;
  @Field() enabled: boolean;
  @Field({ description: 'A failure to load does not stop the start' }) optional: boolean;
  @Field(() => Int, { description: 'Lower runs first; ties by name' }) order: number;
  @Field(() => PluginFailurePolicyEnum) failurePolicy: string;
  @Field(() => Int) timeoutMs: number;
  @Field(() => [PluginOperationEnum]) operations: string[];
  @Field(() => PluginStatusEnum) status: string;
  @Field(() => String, { nullable: true, description: 'Why the plugin failed to load' }) error?: string | null;
  @Field(() => PluginOptionsScalar) options: Record<string, unknown>;
  @Field(() => String, { nullable: true, description: 'The plugin API version the plugin was written for' }) apiVersion: string | null;
}

@ObjectType('PluginFailure', { description: 'Why a plugin failed at run time' })
export class PluginFailureModel {
  @Field({ description: 'error, rejection, timeout, invalid-result or invalid-mutation' }) kind: string;
  @Field() message: string;
}

@ObjectType('PluginMutation')
export class PluginMutationModel {
  @Field(() => String, { nullable: true }) image?: string | null;
  @Field(() => String, { nullable: true }) imagePullPolicy?: string | null;
}

/** One plugin's verdict in an answer (pull decisions, defaulting); reusable by the other modules' models. */
@ObjectType('PluginReport', { description: "One plugin's verdict on an image" })
export class PluginReportModel {
  @Field() name: string;
  @Field(() => PluginVerdictEnum) verdict: string;
  @Field(() => String, { nullable: true }) message: string | null;
  @Field(() => Float) durationMs: number;
  @Field(() => PluginMutationModel, { nullable: true, description: 'The changes the plugin made' }) mutated?: PluginMutationModel | null;
  @Field(() => PluginFailureModel, { nullable: true, description: 'Present when the plugin failed (its failurePolicy made the verdict)' }) error?: PluginFailureModel | null;
}
