/** AWS describe calls run this many at a time: enough to hide 30 ms of latency, few enough not to be throttled. */
export const DESCRIBE_CONCURRENCY = 8;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}
