'use strict';
/** The plugin API version these types describe (the service checks a plugin's `apiVersion` against its own). */
exports.PLUGIN_API_VERSION = '1.0.0';
/** Identity helper that gives editors full types for a plugin object. */
exports.definePlugin = function definePlugin(plugin) {
  return plugin;
};
