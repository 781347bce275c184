import { pickServer } from '../gateway-client';
import type { PickedServer } from '../gateway-client';

/**
 * Where to connect next. `avoid` is the node just lost: a locator hands out
 * another one when it can (the lost node may still look alive to others
 * until its ZooKeeper session expires).
 */
export type NodeLocator = (hint: { attempt: number; avoid?: string }) => Promise<PickedServer>;

/** Asks the gateway each time (it knows which nodes are up); a second try when it names the lost node. */
export function gatewayLocator(
  gatewayUrl: string,
  pick: (gatewayUrl: string) => Promise<PickedServer> = (url) => pickServer(url),
): NodeLocator {
  return async ({ avoid }) => {
    const first = await pick(gatewayUrl);
    if (avoid === undefined || first.nodeId !== avoid) return first;
    return pick(gatewayUrl);
  };
}

/**
 * Goes round a list of nodes (read anew each time, e.g. the processes a test
 * runs), starting at `start` and skipping the node just lost while another
 * one is listed: for clients that know the nodes without a gateway.
 */
export function rotatingLocator(nodes: () => readonly PickedServer[], start = 0): NodeLocator {
  let next = start;
  return ({ avoid }) => {
    const list = nodes();
    if (list.length === 0) return Promise.reject(new Error('no chat node is listed'));
    for (let i = 0; i < list.length; i++) {
      const node = list[next++ % list.length] as PickedServer;
      if (node.nodeId !== avoid || list.length === 1) return Promise.resolve(node);
    }
    return Promise.resolve(list[0] as PickedServer);
  };
}
