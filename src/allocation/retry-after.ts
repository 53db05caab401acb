/** A client asked to wait less than this would only ask again into the same full fleet. */
export const MIN_RETRY_AFTER_SECONDS = 1;
/**
 * Nor longer than this: players leave and free places meanwhile, and a client told to wait three
 * minutes for an instance to boot has given up long before.
 */
export const MAX_RETRY_AFTER_SECONDS = 60;
/** Before the first pass has estimated a boot time. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * When a client that found no room should ask again: when the launching server that started
 * first is expected to be up, by the boot time counted on; with none launching, a launch of the
 * pass this very allocation asked for (a pass, then a boot). Whole seconds, as the header takes.
 */
export function retryAfterSeconds(now: number, firstLaunchedAt: number | undefined, bootMs: number | undefined, passGapMs: number): number {
  if (bootMs === undefined) return DEFAULT_RETRY_AFTER_SECONDS;
  const readyAt = firstLaunchedAt === undefined ? now + passGapMs + bootMs : firstLaunchedAt + bootMs;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(MIN_RETRY_AFTER_SECONDS, Math.ceil((readyAt - now) / 1000)));
}
