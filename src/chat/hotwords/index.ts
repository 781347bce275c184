export { extractWords } from './segment';
export type { SegmentOptions } from './segment';
