import type { EnvReader } from './env-reader';

export interface PluginSettings {
  /** Module specs in PLUGINS order. */
  modules: string[];
  /** PLUGINS_CONFIG, when set. */
  configPath: string | undefined;
}

/** Reads PLUGINS and PLUGINS_CONFIG (documented in the reader's variable list). */
export function readPluginSettings(v: EnvReader): PluginSettings {
  const list = v.optional(
    'PLUGINS',
    'Comma-separated plugin modules: paths relative to the working directory (e.g. ' +
      './dist/src/plugins/examples/link-guard.js) or package names. See docs/hooks.md.',
  );
  const configPath = v.optional(
    'PLUGINS_CONFIG',
    'Path to a JSON file with one section per plugin, keyed by plugin name (e.g. {"link-guard": {...}}).',
  );
  const modules = (list ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  return { modules, configPath };
}
