export { DirtyWordFilter } from './dirty-word-filter';
export type { FilterMatch } from './dirty-word-filter';
export type { ScanStats } from './automaton';
export { loadWordList, parseWordList } from './word-list';
