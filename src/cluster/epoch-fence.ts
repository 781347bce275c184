/**
 * The newest leader epoch this node knows, from the coordinator and from the
 * frames leaders send. Work stamped with an older epoch comes from a leader
 * that was replaced and must not act here any more.
 */
export class EpochFence {
  private newest = 0;

  get current(): number {
    return this.newest;
  }

  observe(epoch: number): void {
    if (epoch > this.newest) this.newest = epoch;
  }

  /**
   * ZooKeeper's data was reset (a new ensemble, a wiped data directory):
   * election sequence numbers start again, so the leader it elects now has a
   * lower epoch than ones seen before. ZooKeeper is the authority.
   */
  reset(epoch: number): void {
    this.newest = epoch;
  }

  /** True for an epoch older than the newest known (0 means "not leader-scoped"). */
  isStale(epoch: number): boolean {
    return epoch !== 0 && epoch < this.newest;
  }
}
