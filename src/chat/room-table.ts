import { Unavailable } from '../core/errors';
import type { Logger } from '../core/logger';
import type { RoomStore } from '../store/types';

/** A room this node runs. `members` is replaced, never changed, so a message keeps the set of its turn. */
export interface RoomState {
  members: ReadonlySet<string>;
}

export interface RoomTableDeps {
  rooms: RoomStore;
  /** Whether this node runs the room named `name` right now. */
  serves: (name: string) => boolean;
  presenceReady?: () => Promise<unknown>;
  logger: Logger;
  settleMs?: number;
}

const SETTLE_MS = 2000;
/** Loads in a row that a newer ownership change overtook before an operation gives up (503). */
const MAX_LOAD_ROUNDS = 5;

/**
 * The rooms a node runs, in memory, and the operations running in them.
 * Whenever ownership may have changed (`reassigned`), the rooms this node no
 * longer runs are dropped and the next operation on a room it does not hold
 * loads the rooms it now runs from the store. A load that a newer change
 * overtook is thrown away: it may predate the writes of the room's previous
 * owner.
 */
export class RoomTable {
  private readonly rooms = new Map<string, RoomState>();
  private readonly running = new Map<string, Set<Promise<unknown>>>();
  private generation = 0;
  private loadedGeneration = -1;
  private loading: Promise<void> | undefined;

  constructor(private readonly deps: RoomTableDeps) {}

  get(name: string): RoomState | undefined {
    return this.rooms.get(name);
  }

  set(name: string, members: ReadonlySet<string>): void {
    this.rooms.set(name, { members });
  }

  names(): string[] {
    return [...this.rooms.keys()].sort();
  }

  /** The room's state, loading what this node runs first when it does not hold the room. */
  async stateOf(name: string): Promise<RoomState | undefined> {
    return this.rooms.get(name) ?? (await this.loaded(), this.rooms.get(name));
  }

  /** Resolves once the rooms this node runs since the latest change are loaded. */
  async loaded(): Promise<void> {
    for (let round = 0; this.loadedGeneration !== this.generation; round++) {
      if (round >= MAX_LOAD_ROUNDS)
        throw new Unavailable('Rooms are moving between nodes right now; try again.', 'ROOM_MOVING');
      this.loading ??= this.load(this.generation).finally(() => (this.loading = undefined));
      await this.loading;
    }
  }

  /** Runs `task`, counted as running in `key` until it settles. */
  track<T>(key: string, task: () => Promise<T>): Promise<T> {
    const promise = task();
    let set = this.running.get(key);
    if (!set) this.running.set(key, (set = new Set()));
    const running = set;
    running.add(promise);
    const done = (): void => {
      running.delete(promise);
      if (running.size === 0 && this.running.get(key) === running) this.running.delete(key);
    };
    promise.then(done, done);
    return promise;
  }

  /**
   * Ownership may have changed: drops the rooms no longer run here and waits
   * (bounded) for the operations in keys `serves` now refuses.
   */
  async reassigned(serves: (key: string) => boolean): Promise<void> {
    this.generation++;
    for (const name of [...this.rooms.keys()]) if (!this.deps.serves(name)) this.rooms.delete(name);
    // The rooms gained are loaded now rather than by the first operation (operators see them at once).
    this.loaded().catch((err: unknown) =>
      this.deps.logger.warn(
        { event: 'rooms_load_failed', err },
        'loading rooms failed; the next operation retries',
      ),
    );
    const leaving = [...this.running].filter(([key]) => !serves(key)).flatMap(([, set]) => [...set]);
    if (leaving.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const settled = Promise.allSettled(leaving).then(() => true);
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.deps.settleMs ?? SETTLE_MS);
    });
    const inTime = await Promise.race([settled, late]);
    clearTimeout(timer);
    if (!inTime)
      this.deps.logger.warn(
        { event: 'rooms_settle_timeout', operations: leaving.length },
        'operations in rooms that moved away were still running; handing the rooms over anyway',
      );
  }

  private async load(generation: number): Promise<void> {
    const [records] = await Promise.all([this.deps.rooms.list(), this.deps.presenceReady?.()]);
    if (generation !== this.generation) return; // overtaken: loaded() loads again
    let added = 0;
    for (const room of records) {
      // A room already held was run here throughout: memory is at least as new as this read.
      if (this.rooms.has(room.name) || !this.deps.serves(room.name)) continue;
      this.rooms.set(room.name, { members: new Set(room.members) });
      added++;
    }
    this.loadedGeneration = generation;
    this.deps.logger.info(
      { event: 'rooms_loaded', rooms: this.rooms.size, added, of: records.length },
      'rooms this node runs loaded from the store',
    );
  }
}
