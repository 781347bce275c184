/** Adds `item` to `list`; returns the function that removes it again. */
export function subscribe<T>(list: T[], item: T): () => void {
  list.push(item);
  return () => {
    const i = list.indexOf(item);
    if (i >= 0) list.splice(i, 1);
  };
}
