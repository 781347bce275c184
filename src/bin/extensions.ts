import type { Registry } from 'prom-client';
import type { ChatEvents } from '../chat/ports';
import type { NodeConfig } from '../config/node';
import type { Logger } from '../core/logger';
import { createExportPublisher, exportPlugin } from '../export';
import { openRedis } from '../redis/connect';
import { HookRunner, loadPlugins, pluginSpecs, registerHookMetrics } from '../plugins';

export interface Extensions {
  hooks: HookRunner;
  /** Hands an after event to the plugins that want it; a no-op without plugins. */
  events: ChatEvents;
  close(): Promise<void>;
}

/**
 * Loads the configured plugins and, when EXPORT_SINK is set, the export of
 * chat records (itself a plugin on the after hooks). Without either, the chat
 * path pays nothing: HookRunner.empty() and a no-op event function.
 */
export async function startExtensions(
  config: NodeConfig,
  logger: Logger,
  registry: Registry,
): Promise<Extensions> {
  const log = logger.child({ component: 'extensions' });
  const plugins = await loadPlugins(pluginSpecs(config.plugins), log);
  if (config.export) {
    const publisher = createExportPublisher(config.export, {
      logger: log,
      registry,
      // The chat's own Redis deployment, or the single EXPORT_REDIS_URL with the chat's user, password and CA.
      openRedis: (url, options, sinkLog) =>
        openRedis(
          url === undefined ? config.redis : { ...config.redis, url, clusterNodes: [], sentinels: [] },
          sinkLog,
          options,
        ),
    });
    plugins.push(exportPlugin(publisher, { nodeId: config.nodeId }));
    log.info(
      { event: 'export_on', sink: config.export.sink, format: config.export.format },
      'exporting chat records',
    );
  }
  if (plugins.length === 0) {
    const hooks = HookRunner.empty();
    return { hooks, events: () => undefined, close: () => hooks.close() };
  }
  const hooks = new HookRunner(plugins, { logger: log });
  registerHookMetrics(hooks, registry);
  log.info({ event: 'plugins_loaded', plugins: plugins.map((p) => p.name) }, 'plugins loaded');
  return { hooks, events: (event) => hooks.emit(event), close: () => hooks.close() };
}
