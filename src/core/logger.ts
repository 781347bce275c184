import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Human-readable output; by default only when stdout is a terminal. */
  pretty?: boolean;
  name?: string;
}

/**
 * The one root logger of a process. Components get children
 * (`logger.child({ component })`) through their constructors.
 */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  const base = {
    name: options.name,
    level: options.level,
    redact: ['password', '*.password', 'resumeToken', '*.resumeToken'],
  };
  if (!pretty) return pino(base);
  return pino({
    ...base,
    transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l' } },
  });
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  // pino infers Logger<never> without custom levels; every caller takes the default Logger.
  return pino({ level: 'silent' }) as Logger;
}
