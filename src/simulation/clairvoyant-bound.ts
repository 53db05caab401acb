import { Demand } from './demand';

/**
 * The players the demand would have in play at every moment if nobody were turned away: a step
 * function of time, the same for every policy that faces this demand.
 */
export class DemandCurve {
  /** When the level changes, ascending; `levels[i]` holds from `times[i]` until the next change. */
  private readonly times: number[] = [];
  private readonly levels: number[] = [];

  constructor(demand: Demand) {
    const changes: [number, number][] = [];
    for (const remainingMs of demand.startPlayersRemainingMs) changes.push([remainingMs, -1]);
    for (const { arriveAt, sessionMs } of demand.arrivals) changes.push([arriveAt, 1], [arriveAt + sessionMs, -1]);
    changes.sort((a, b) => a[0] - b[0]);
    let level = demand.startPlayersRemainingMs.length;
    this.times.push(0);
    this.levels.push(level);
    for (const [at, step] of changes) {
      level += step;
      if (this.times[this.times.length - 1] === at) this.levels[this.levels.length - 1] = level;
      else {
        this.times.push(at);
        this.levels.push(level);
      }
    }
  }

  /** Players in play at `at` (after every change at that very moment). */
  playersAt(at: number): number {
    let low = 0;
    let high = this.times.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.times[mid] <= at) low = mid;
      else high = mid - 1;
    }
    return this.levels[low];
  }

  /**
   * The clairvoyant lower bound of the bill: ceil(players(t) / capacity) servers at every moment,
   * integrated up to `endAt`. No policy pays less without moving players between servers, since
   * it would need to know every arrival and departure in advance and boot servers in no time.
   */
  boundServerHours(capacity: number, endAt: number): number {
    let serverMs = 0;
    for (let i = 0; i < this.times.length && this.times[i] < endAt; i++) {
      const until = Math.min(i + 1 < this.times.length ? this.times[i + 1] : endAt, endAt);
      serverMs += Math.ceil(this.levels[i] / capacity) * (until - this.times[i]);
    }
    return serverMs / 3_600_000;
  }
}
