/**
 * The one worker pool of the manager (probes, AWS describe calls): `work` over every item, at most
 * `limit` at once; results in the order of the items. A few workers pull from one index rather
 * than one promise per item being queued, so that a pass over 10,000 servers holds `limit`
 * pending calls, not 10,000.
 */
export async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
