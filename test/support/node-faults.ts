import type { TestCluster } from './cluster';

/**
 * SIGINT, as pm2 stops or reloads a process: the node drains and exits on
 * its own. Resolves once it is gone; the cluster no longer lists it.
 */
export async function interrupt(cluster: TestCluster, nodeId: string, timeoutMs = 15_000): Promise<void> {
  const node = cluster.node(nodeId);
  node.child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const exited = await Promise.race([
    node.exited.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  cluster.nodes.delete(nodeId);
  if (!exited) {
    await node.kill();
    throw new Error(`${nodeId} did not exit within ${timeoutMs} ms of SIGINT`);
  }
}
