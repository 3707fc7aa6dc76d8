/** The plugin host's public surface for the other modules. */
export * from './plugin-api.js';
export { PLUGIN_DIGEST_LOOKUP, type PluginDigestLookup, type PluginDigestLookupOptions } from './plugin-digest-lookup.port.js';
export { PluginHost } from './plugin-host.service.js';
export { PluginHostModule, type PluginHostModuleOptions } from './plugin-host.module.js';
export type { PluginInfo, PluginStatus } from './plugin-loader.js';
export type { PluginFailureKind, PluginReport, PluginRunInput, PluginRunOptions, PluginRunResult } from './plugin-runner.js';
export { PluginReportDto, pluginReportSchema } from './plugin.dto.js';
export { PluginReportModel } from './plugin.models.js';
