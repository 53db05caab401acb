import { CapacityFloor } from '../config/capacity-schedule';
import { MarginMode } from '../config/settings';
import { PolicySettings, ServerView } from '../domain/fleet-snapshot';
import { isUp } from '../domain/server-state';
import { withFloor } from './scheduled-floor';
import { DemandHistory } from './demand-history';
import { LaunchTimes } from './launch-times';
import { MarginEstimate } from '../domain/margins';
import { bootTimeMs, estimateMargin, growthDeviation, horizonMs, withMargins } from './margin-estimator';

/**
 * What adaptive mode remembers between passes, and the estimate of each pass: the demand history
 * and the recent launch times, fed by whoever sees allocations and probes (the manager, or the
 * simulator), read by the pure estimator. The growth's deviation scans hours of history, so it is
 * computed once a bucket, when the complete buckets change, not once a pass.
 */
export class AdaptiveMargin {
  readonly demand = new DemandHistory();
  readonly launchTimes = new LaunchTimes();
  private deviationCache?: { bucket: number; buckets: number; value: number };

  constructor(private readonly priorBootMs: number) {}

  /**
   * The boot time a schedule counts on: the slowest recent launch, or the prior. A window is known
   * in advance, so capacity early costs little; late, it costs players.
   */
  slowestBootMs(): number {
    return Math.max(this.priorBootMs, ...this.launchTimes.recent());
  }

  /** The margins for a pass at `now` that has counted `inUse` places taken or reserved. */
  estimate(now: number, inUse: number, settings: PolicySettings, passGapMs: number): MarginEstimate {
    this.demand.inUse(now, inUse);
    const bootMs = bootTimeMs(this.launchTimes.recent(), this.priorBootMs);
    const buckets = Math.round(horizonMs(bootMs, passGapMs) / this.demand.bucketMs);
    const bucket = Math.floor(now / this.demand.bucketMs);
    const cached = this.deviationCache;
    const deviation =
      cached && cached.bucket === bucket && cached.buckets === buckets ? cached.value : growthDeviation(this.demand, buckets);
    this.deviationCache = { bucket, buckets, value: deviation };
    return estimateMargin({ demand: this.demand, bootMs, passGapMs, deviation }, settings);
  }
}

/** Places taken by players or reserved for them, on the servers that were up: the demand a pass sees. */
export function placesInUse(servers: readonly Pick<ServerView, 'state' | 'free'>[], serverCapacity: number): number {
  let inUse = 0;
  for (const server of servers) {
    if (isUp(server.state)) inUse += Math.max(0, serverCapacity - server.free);
  }
  return inUse;
}

/** The settings a pass decides with, in the reconciler and the simulator alike: the estimate's margins in adaptive mode, raised to the schedule's floor in both. */
export function passSettings(mode: MarginMode, settings: PolicySettings, estimate: MarginEstimate, floor: CapacityFloor): PolicySettings {
  return withFloor(mode === 'adaptive' ? withMargins(settings, estimate) : settings, floor);
}
