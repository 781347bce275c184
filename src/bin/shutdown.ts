import type { Logger } from '../core/logger';

/**
 * Runs `stop` once on SIGINT/SIGTERM, then exits. A second signal, or a stop
 * that takes longer than `graceMs`, exits at once. pm2 sends SIGINT first.
 */
export function onShutdownSignal(logger: Logger, stop: () => Promise<void>, graceMs = 10_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ event: 'shutdown_forced', signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ event: 'shutdown', signal }, 'shutting down');
    setTimeout(() => {
      logger.error({ event: 'shutdown_timeout', graceMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, graceMs).unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ event: 'shutdown_failed', err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Tells pm2 (wait_ready) that the process is serving. */
export function signalReady(): void {
  process.send?.('ready');
}
