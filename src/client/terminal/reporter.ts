import { closeCodeName } from '../../protocol/close-codes';
import type { RecoveryListener } from '../recovery';
import type { Renderer } from './render';

export interface ReporterOptions {
  renderer: Renderer;
  print: (line: string) => void;
  /** Who "you" is, once logged in. */
  me: () => string;
  now?: () => number;
  /** Called for every message shown (after printing it), e.g. to count them. */
  onMessage?: (from: string) => void;
  /** Called once when the session is over for good. */
  onEnded?: () => void;
}

/** A RecoveryListener that prints every session event as one line. */
export function sessionReporter(o: ReporterOptions): RecoveryListener {
  const now = o.now ?? Date.now;
  const r = o.renderer;
  return {
    message(m) {
      o.print(r.message(m, { me: o.me(), now: now() }));
      o.onMessage?.(m.from);
    },
    lost({ nodeId, code, reason }) {
      const why = `${closeCodeName(code)}${reason ? `: ${reason}` : ''}`;
      o.print(
        r.info(
          `lost the connection to ${nodeId || 'the chat node'} (${why}); reconnecting through the gateway...`,
        ),
      );
    },
    retry({ attempt, delayMs, error }) {
      const detail = error instanceof Error ? error.message : String(error);
      o.print(
        r.info(
          `reconnect attempt ${attempt} failed (${detail}); retrying in ${(delayMs / 1000).toFixed(1)} s`,
        ),
      );
    },
    reconnected({ nodeId, username }) {
      o.print(r.ok(`reconnected to ${nodeId} as ${username}`));
    },
    // Holes and hints are filled quietly (their messages print as they come); a reconnect is reported.
    caughtUp({ cause, missed, incomplete, error }) {
      if (cause !== 'reconnect') return;
      if (error !== undefined) {
        o.print(r.error(error));
        o.print(r.info('could not fetch the messages missed while disconnected; /history shows them'));
        return;
      }
      const gaps =
        incomplete.length > 0 ? `; history does not cover the whole gap in ${incomplete.join(', ')}` : '';
      o.print(r.info(`caught up: ${missed} missed message${missed === 1 ? '' : 's'}${gaps}`));
    },
    ended({ message }) {
      o.print(r.error(message));
      o.onEnded?.();
    },
  };
}
