/**
 * When draining began, as a platform recorded it (ISO 8601, in a local record or a task tag). A
 * server marked draining by an earlier manager, which recorded no time, or with an unreadable
 * one, drains from now: the drain clock restarts for it once, as it always did.
 */
export function drainingSinceOf(recorded: string | undefined, now: number): number {
  const since = recorded === undefined ? NaN : Date.parse(recorded);
  return Number.isNaN(since) ? now : since;
}
