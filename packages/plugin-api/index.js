/** The plugin API version these types describe (the service checks a plugin's `apiVersion` against its own). */
export const PLUGIN_API_VERSION = '1.0.0';

/**
 * Identity helper that gives editors full types for a plugin object.
 * @template [Options=Record<string, unknown>]
 * @param {import('./index.js').Plugin<Options>} plugin
 * @returns {import('./index.js').Plugin<Options>}
 */
export function definePlugin(plugin) {
  return plugin;
}
