// Only test/support/cluster.ts still imports this path; it moves to src/core/wait-for with the
// shared cluster launcher, and then this file goes.
export { waitFor } from '../../src/core/wait-for';
export type { WaitForOptions } from '../../src/core/wait-for';
