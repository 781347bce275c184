import { ConfigError } from '../config/env-reader';
import { loadNodeConfig } from '../config/node';
import { createLogger } from '../core/logger';
import { ChatNode } from '../node/chat-node';
import { onShutdownSignal, signalReady } from './shutdown';

/** A chat node process: `node dist/src/bin/node.js`, configured by environment variables. */
async function main(): Promise<void> {
  const config = loadNodeConfig(process.env);
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, name: 'chat-node' });
  const node = new ChatNode(config, logger);
  onShutdownSignal(logger, () => node.stop());
  try {
    await node.start();
  } catch (err) {
    logger.fatal({ event: 'start_failed', err }, 'chat node failed to start');
    await node.stop();
    process.exit(1);
  }
  signalReady();
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
