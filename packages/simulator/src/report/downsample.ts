/**
 * At most `max` items, first and last kept: of each run of neighbours, the one where `weight`
 * peaks, so that a burst of pending jobs shorter than a pixel still shows.
 */
export const downsample = <T>(
  items: readonly T[],
  max: number,
  weight: (item: T) => number,
): readonly T[] => {
  if (items.length <= max) return items;
  const first = items[0] as T;
  const last = items.at(-1) as T;
  const buckets = Math.max(max - 2, 1);
  const inner = items.length - 2;
  const kept: T[] = [first];
  for (let bucket = 0; bucket < buckets; bucket++) {
    const from = 1 + Math.floor((bucket * inner) / buckets);
    const to = 1 + Math.floor(((bucket + 1) * inner) / buckets);
    let peak: T | undefined;
    for (let index = from; index < to; index++) {
      const item = items[index] as T;
      if (peak === undefined || weight(item) > weight(peak)) peak = item;
    }
    if (peak !== undefined) kept.push(peak);
  }
  kept.push(last);
  return kept;
};
