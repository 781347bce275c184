import { ConfigError } from '../config/env-reader';
import { loadNodeConfig } from '../config/node';
import { createLogger } from '../core/logger';
import { composeNode } from './compose-node';
import type { ComposedNode } from './compose-node';
import { onShutdownSignal, signalReady } from './shutdown';

/** A chat node process: `node dist/src/bin/node.js`, configured by environment variables. */
async function main(): Promise<void> {
  const config = loadNodeConfig(process.env);
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, name: 'chat-node' });
  let composed: ComposedNode | undefined;
  onShutdownSignal(logger, () => composed?.stop() ?? Promise.resolve());
  try {
    composed = await composeNode(config, logger);
  } catch (err) {
    logger.fatal({ event: 'start_failed', err }, 'chat node failed to start');
    process.exit(1);
  }
  // An operator drained the node (AdminService DrainNode): everything is closed, the process ends.
  void composed.drained.then(() => {
    logger.info({ event: 'drained' }, 'drained by an operator; exiting');
    process.exit(0);
  });
  signalReady();
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
