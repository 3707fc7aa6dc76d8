/** REST (OpenAPI) shapes of the plugins, and JSON schemas the other modules can reuse for plugin reports. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PLUGIN_FAILURE_KINDS, PLUGIN_VERDICTS } from '../common/plugin-run.js';
import { PULL_POLICIES } from '../reference/parsed-reference.js';
import { PLUGIN_OPERATIONS } from './plugin-api.js';
import { FAILURE_POLICIES } from './plugins-config.js';

export class PluginInfoDto {
  @ApiProperty({ example: 'disallow-latest', pattern: '^[a-z0-9-]+$' }) name: string;
  @ApiProperty({ type: String, nullable: true, example: '1.0.0' }) version: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Denies or warns about untagged and :latest images' }) description: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'disallow-latest.js', description: 'The module, relative to PLUGINS_DIR; null when not found' }) source: string | null;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ description: 'A failure to load does not stop the start' }) optional: boolean;
  @ApiProperty({ example: 30, description: 'Lower runs first; ties by name' }) order: number;
  @ApiProperty({ enum: [...FAILURE_POLICIES] }) failurePolicy: string;
  @ApiProperty({ example: 1000 }) timeoutMs: number;
  @ApiProperty({ enum: PLUGIN_OPERATIONS, isArray: true }) operations: string[];
  @ApiProperty({ enum: ['active', 'failed', 'disabled'] }) status: string;
  @ApiPropertyOptional({ description: 'Why the plugin failed to load (present only then)' }) error?: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { action: 'warn' }, description: 'Options from the plugins config; secrets are [redacted]' })
  options: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true, example: '1' }) apiVersion: string | null;
}

export class PluginsResponseDto {
  @ApiProperty({ type: [PluginInfoDto] }) plugins: PluginInfoDto[];
}

export class PluginFailureDto {
  @ApiProperty({ enum: [...PLUGIN_FAILURE_KINDS] }) kind: string;
  @ApiProperty() message: string;
}

export class PluginMutationDto {
  @ApiPropertyOptional() image?: string;
  @ApiPropertyOptional({ enum: [...PULL_POLICIES] }) imagePullPolicy?: string;
}

/** One plugin's verdict in an answer (pull decisions, defaulting). */
export class PluginReportDto {
  @ApiProperty({ example: 'disallow-latest' }) name: string;
  @ApiProperty({ enum: [...PLUGIN_VERDICTS] }) verdict: string;
  @ApiProperty({ type: String, nullable: true }) message: string | null;
  @ApiProperty({ example: 0.012 }) durationMs: number;
  @ApiPropertyOptional({ type: PluginMutationDto, description: 'The changes the plugin made' }) mutated?: PluginMutationDto;
  @ApiPropertyOptional({ type: PluginFailureDto, description: 'Present when the plugin failed; its failurePolicy made the verdict' }) error?: PluginFailureDto;
}

/** fast-json-stringify schema of a PluginReport, for routes that answer with plugin reports. */
export const pluginReportSchema = {
  type: 'object',
  required: ['name', 'verdict', 'message', 'durationMs'],
  properties: {
    name: { type: 'string' },
    verdict: { type: 'string' },
    message: { type: ['string', 'null'] },
    durationMs: { type: 'number' },
    mutated: { type: 'object', properties: { image: { type: 'string' }, imagePullPolicy: { type: 'string' } } },
    error: { type: 'object', required: ['kind', 'message'], properties: { kind: { type: 'string' }, message: { type: 'string' } } },
  },
} as const;
