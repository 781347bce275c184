import path from 'node:path';
import type { Logger } from '../core/logger';
import { DEFAULT_PRIORITY, HOOK_NAMES } from './types';
import type { ChatPlugin, PluginContext } from './types';

/** One plugin to load: a module path (relative to the working directory) or a package name. */
export interface PluginSpec {
  module: string;
  /** The plugin's own settings, handed to its factory and its init(). */
  config?: unknown;
}

/** A plugin that did not load, did not look like a plugin, or failed to start. Stops start-up. */
export class PluginLoadError extends Error {
  constructor(
    readonly module: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PluginLoadError';
  }
}

export interface LoadPluginsOptions {
  /** Where relative module paths and packages are looked up. Default: process.cwd(). */
  cwd?: string;
  /** Module loader; default `require` (modules are loaded once, at start-up). */
  requireFn?: (id: string) => unknown;
  /** Resolves a module id from a directory; default `require.resolve`. */
  resolveFn?: (id: string, fromDir: string) => string;
}

type Factory = (ctx: PluginContext) => unknown;

const LIFECYCLE = new Set(['init', 'close']);
const KNOWN_HOOKS = new Set<string>(HOOK_NAMES);

/**
 * Loads, checks and initialises plugins, in the given order. A module exports
 * either `plugin` (a plugin object) or a default factory `(ctx) => plugin`
 * (`module.exports = factory` works too); init(ctx) runs after that. Any
 * problem throws a PluginLoadError naming the module: a node does not start
 * with a plugin missing, since the plugin may be a policy (e.g. link-guard).
 */
export async function loadPlugins(
  specs: readonly PluginSpec[],
  logger: Logger,
  options: LoadPluginsOptions = {},
): Promise<ChatPlugin[]> {
  const cwd = options.cwd ?? process.cwd();
  // Plugins are named at run time and loaded once at start-up: a dynamic require is the point here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const requireFn = options.requireFn ?? ((id: string) => require(id) as unknown);
  const resolveFn =
    options.resolveFn ?? ((id: string, from: string) => require.resolve(id, { paths: [from] }));
  const loaded: ChatPlugin[] = [];
  try {
    for (const spec of specs) {
      const plugin = await loadOne(spec, logger, cwd, requireFn, resolveFn);
      const twin = loaded.find((p) => p.name === plugin.name);
      if (twin) {
        throw new PluginLoadError(
          spec.module,
          `plugin module '${spec.module}' is named '${plugin.name}', like another loaded plugin; names must be unique`,
        );
      }
      loaded.push(plugin);
      logger.info(
        { plugin: plugin.name, module: spec.module, priority: plugin.priority ?? DEFAULT_PRIORITY },
        'plugin loaded',
      );
    }
  } catch (err) {
    // Start-up stops; let the plugins already started release what they hold.
    for (const plugin of loaded.reverse()) {
      try {
        await plugin.close?.();
      } catch (closeErr) {
        logger.warn({ plugin: plugin.name, err: closeErr }, 'plugin close() failed after a failed start-up');
      }
    }
    throw err;
  }
  return loaded;
}

async function loadOne(
  spec: PluginSpec,
  logger: Logger,
  cwd: string,
  requireFn: (id: string) => unknown,
  resolveFn: (id: string, fromDir: string) => string,
): Promise<ChatPlugin> {
  const resolved = resolveModule(spec.module, cwd, resolveFn);
  let exported: unknown;
  try {
    exported = requireFn(resolved);
  } catch (err) {
    throw new PluginLoadError(
      spec.module,
      `plugin module '${spec.module}' (${resolved}) failed to load: ${errorText(err)}`,
      { cause: err },
    );
  }
  const ctx: PluginContext = {
    logger: logger.child({ plugin: pluginKeyOf(spec.module) }),
    config: spec.config,
  };
  let candidate = pickExport(exported);
  if (candidate === undefined) {
    throw new PluginLoadError(
      spec.module,
      `plugin module '${spec.module}' exports no plugin: expected \`export const plugin = { name, ...hooks }\` ` +
        'or a default factory `export default (ctx) => ({ name, ...hooks })`',
    );
  }
  if (typeof candidate === 'function') {
    try {
      candidate = await (candidate as Factory)(ctx);
    } catch (err) {
      throw new PluginLoadError(spec.module, `plugin factory of '${spec.module}' failed: ${errorText(err)}`, {
        cause: err,
      });
    }
  }
  const plugin = checkPlugin(candidate, spec.module);
  try {
    await plugin.init?.({ logger: logger.child({ plugin: plugin.name }), config: spec.config });
  } catch (err) {
    throw new PluginLoadError(
      spec.module,
      `plugin '${plugin.name}' (${spec.module}) failed to start: ${errorText(err)}`,
      { cause: err },
    );
  }
  return plugin;
}

/**
 * `./x`, `../x` and absolute paths are files; anything else is first a
 * package, then a path relative to `cwd` (so `dist/plugins/x.js` works too).
 */
function resolveModule(module: string, cwd: string, resolveFn: (id: string, from: string) => string): string {
  const asPath = path.resolve(cwd, module);
  const isPath = module.startsWith('.') || path.isAbsolute(module);
  const attempts = isPath ? [asPath] : [module, asPath];
  for (const id of attempts) {
    try {
      return resolveFn(id, cwd);
    } catch {
      // Try the next reading of the name.
    }
  }
  const where = isPath ? `file ${asPath}` : `package '${module}' from ${cwd} or file ${asPath}`;
  throw new PluginLoadError(module, `plugin module '${module}' not found (looked for ${where})`);
}

function pickExport(exported: unknown): unknown {
  if (exported === null || exported === undefined) return undefined;
  if (typeof exported === 'function') return exported;
  if (typeof exported !== 'object') return undefined;
  const mod = exported as { plugin?: unknown; default?: unknown };
  if (mod.plugin !== undefined) return mod.plugin;
  if (mod.default !== undefined) return mod.default;
  return undefined;
}

/** Checks the shape, so a typo'd hook name fails at start-up instead of never running. */
export function checkPlugin(candidate: unknown, module: string): ChatPlugin {
  const fail = (why: string): never => {
    throw new PluginLoadError(module, `plugin module '${module}' does not export a valid plugin: ${why}`);
  };
  if (typeof candidate !== 'object' || candidate === null) return fail(`got ${typeof candidate}`);
  const p = candidate as Record<string, unknown>;
  if (typeof p.name !== 'string' || p.name.trim() === '') return fail('`name` must be a non-empty string');
  if (p.priority !== undefined && (typeof p.priority !== 'number' || !Number.isFinite(p.priority))) {
    return fail('`priority` must be a finite number');
  }
  for (const key of propertyNames(p)) {
    const isHookLike = /^(before|after)[A-Z]/.test(key);
    if (!KNOWN_HOOKS.has(key) && !LIFECYCLE.has(key)) {
      if (isHookLike) return fail(`unknown hook '${key}' (known: ${HOOK_NAMES.join(', ')})`);
      continue;
    }
    if (p[key] !== undefined && typeof p[key] !== 'function') return fail(`'${key}' must be a function`);
  }
  return candidate as ChatPlugin;
}

/** Own and inherited names (class-based plugins keep their hooks on the prototype). */
function propertyNames(obj: object): Set<string> {
  const names = new Set<string>();
  for (
    let o: object | null = obj;
    o && o !== Object.prototype;
    o = Object.getPrototypeOf(o) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(o)) if (name !== 'constructor') names.add(name);
  }
  return names;
}

/**
 * The name a module's config section goes by: its file or package name
 * without extension (`./dist/src/plugins/examples/link-guard.js` → `link-guard`,
 * `@acme/chat-audit` → `chat-audit`). Plugins should use it as their `name`.
 */
export function pluginKeyOf(module: string): string {
  const base =
    module
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? module;
  return base.replace(/\.(c|m)?(j|t)s$/, '');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
