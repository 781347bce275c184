/**
 * The ServerRegistry contract, run against Redis and the in-memory adapter:
 * what the leader writes through the registry is what a gateway reads
 * through the matching ServerDirectory. `make` returns an empty pair of its own.
 */
import type { ServerRegistry } from '../../src/chat/ports';
import type { ServerDirectory } from '../../src/gateway/directory';

export interface ServerRegistryFixture {
  registry: ServerRegistry;
  directory: ServerDirectory;
}

const node = (n: number): { nodeId: string; url: string } => ({
  nodeId: `node${n}`,
  url: `ws://127.0.0.1:${9000 + n}`,
});

export function runServerRegistryContract(name: string, make: () => Promise<ServerRegistryFixture>): void {
  describe(`ServerRegistry contract: ${name}`, () => {
    let registry: ServerRegistry;
    let directory: ServerDirectory;

    beforeEach(async () => {
      ({ registry, directory } = await make());
    });

    it('lists no server before the leader wrote the list, and answers a health check', async () => {
      expect(await directory.list()).toEqual([]);
      await expect(directory.check()).resolves.toBeUndefined();
    });

    it('lists the servers in the order written, with no connections until a node reports', async () => {
      await registry.writeServers([node(2), node(1)]);
      expect(await directory.list()).toEqual([
        { ...node(2), connections: 0 },
        { ...node(1), connections: 0 },
      ]);
    });

    it('shows each node its own last reported load, and 0 once it is removed', async () => {
      await registry.writeServers([node(1), node(2)]);
      await registry.publishLoad('node1', 5);
      await registry.publishLoad('node2', 7);
      await registry.publishLoad('node1', 3);
      expect((await directory.list()).map((s) => s.connections)).toEqual([3, 7]);
      await registry.removeLoad('node2');
      await registry.removeLoad('node2');
      expect((await directory.list()).map((s) => s.connections)).toEqual([3, 0]);
      await registry.publishLoad('node1', 0);
      expect((await directory.list()).map((s) => s.connections)).toEqual([0, 0]);
    });

    it('replaces the whole list on each write, and keeps loads apart from it', async () => {
      await registry.writeServers([node(1), node(2), node(3)]);
      await registry.publishLoad('node3', 4);
      // A load reported by a node not (yet) listed is kept but not shown.
      await registry.publishLoad('node4', 9);
      await registry.writeServers([node(3)]);
      expect(await directory.list()).toEqual([{ ...node(3), connections: 4 }]);
      await registry.writeServers([node(4), node(3)]);
      expect(await directory.list()).toEqual([
        { ...node(4), connections: 9 },
        { ...node(3), connections: 4 },
      ]);
      await registry.writeServers([]);
      expect(await directory.list()).toEqual([]);
    });
  });
}
