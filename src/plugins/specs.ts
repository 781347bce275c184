import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, EnvReader } from '../config/env-reader';
import { readPluginSettings } from '../config/plugins';
import type { PluginSettings } from '../config/plugins';
import { pluginKeyOf } from './loader';
import type { PluginSpec } from './loader';

/**
 * Turns the settings into specs: each module gets the section of PLUGINS_CONFIG
 * keyed by its plugin name (file or package name without extension) or by the
 * module spec as written. Throws a ConfigError for an unreadable file, a file
 * that is not a JSON object, or a section that matches no listed plugin (a
 * typo would otherwise leave a plugin silently on its defaults).
 */
export function pluginSpecs(settings: PluginSettings, options: { cwd?: string } = {}): PluginSpec[] {
  const specs: PluginSpec[] = settings.modules.map((module) => ({ module }));
  if (settings.configPath === undefined) return specs;
  const file = path.resolve(options.cwd ?? process.cwd(), settings.configPath);
  let sections: unknown;
  try {
    sections = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigError([
      `PLUGINS_CONFIG=${JSON.stringify(settings.configPath)}: cannot read ${file}: ${why}`,
    ]);
  }
  if (typeof sections !== 'object' || sections === null || Array.isArray(sections)) {
    throw new ConfigError([
      `PLUGINS_CONFIG=${JSON.stringify(settings.configPath)}: ${file} must hold a JSON object with one section per plugin`,
    ]);
  }
  const byKey = sections as Record<string, unknown>;
  const used = new Set<string>();
  for (const spec of specs) {
    const key = [spec.module, pluginKeyOf(spec.module)].find((k) => Object.hasOwn(byKey, k));
    if (key === undefined) continue;
    spec.config = byKey[key];
    used.add(key);
  }
  const unknown = Object.keys(byKey).filter((k) => !used.has(k));
  if (unknown.length > 0) {
    const listed = specs.map((s) => pluginKeyOf(s.module)).join(', ') || 'none';
    throw new ConfigError(
      unknown.map(
        (k) => `PLUGINS_CONFIG: section '${k}' in ${file} matches no plugin in PLUGINS (listed: ${listed})`,
      ),
    );
  }
  return specs;
}

/**
 * The plugin specs the environment asks for (empty when PLUGINS is unset).
 * Throws a ConfigError naming every problem.
 */
export function parsePluginEnv(
  env: NodeJS.ProcessEnv | Record<string, string | undefined>,
  options: { cwd?: string } = {},
): PluginSpec[] {
  const v = new EnvReader(env);
  const settings = readPluginSettings(v);
  v.finish();
  return pluginSpecs(settings, options);
}
