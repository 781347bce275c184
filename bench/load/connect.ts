import { performance } from 'node:perf_hooks';
import type { LoadClient, LoadTransport, Placement } from './clients';

export interface ConnectPlan {
  user: string;
  placement: Placement;
}

export interface ConnectedUsers {
  byUser: Map<string, LoadClient>;
  /** Wall time to connect (and log in) everyone. */
  elapsedMs: number;
  closeAll(): Promise<void>;
}

/**
 * Connects (and for the cluster, logs in) every user, `concurrency` at a time,
 * and routes every text they receive to `onText`. If one fails, the ones
 * already connected are closed before the error is thrown.
 */
export async function connectUsers(
  transport: LoadTransport,
  plans: readonly ConnectPlan[],
  options: { concurrency: number; onText: (text: string) => void },
): Promise<ConnectedUsers> {
  const started = performance.now();
  const byUser = new Map<string, LoadClient>();
  const closeAll = async (): Promise<void> => {
    const all = [...byUser.values()];
    byUser.clear();
    await Promise.all(all.map((c) => c.close().catch(() => undefined)));
  };
  let next = 0;
  let failure: unknown;
  const lane = async (): Promise<void> => {
    while (next < plans.length && failure === undefined) {
      const plan = plans[next++] as ConnectPlan;
      try {
        const client = await transport.connect(plan.user, plan.placement);
        client.onText(options.onText);
        byUser.set(plan.user, client);
      } catch (err) {
        failure ??= new Error(
          `${transport.name}: could not connect ${plan.user} to ${plan.placement.url}: ${
            err instanceof Error ? err.message : String(err)
          }`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, lane));
  if (failure !== undefined) {
    await closeAll();
    throw failure;
  }
  return { byUser, elapsedMs: performance.now() - started, closeAll };
}
