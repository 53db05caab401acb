/** Even SLEEP_TIME=0 leaves this much between passes, so the manager never spins. */
export const MIN_PASS_GAP_MS = 100;

/** The time between the starts of two scheduled passes: SLEEP_TIME, at least MIN_PASS_GAP_MS. */
export function passGapMs(sleepTimeSeconds: number): number {
  return Math.max(sleepTimeSeconds * 1000, MIN_PASS_GAP_MS);
}
