import { PolicySettings } from '../domain/fleet-snapshot';
import { MarginEstimate } from '../domain/margins';
import { DemandSeries } from './demand-history';

/**
 * Fewer launches than this measured, and the boot time is the larger of the prior and the
 * slowest of them: two quick launches are no proof that the next one is quick.
 */
const MIN_LAUNCH_SAMPLES = 3;
/** The share of launches the boot time covers: a slow launch is common on EC2 (image pulls, capacity). */
const BOOT_QUANTILE = 0.9;
/** Room for noise, in standard deviations of the demand's growth over a horizon: 2 covers about 98 % of them. */
const NOISE_DEVIATIONS = 2;
/** The trend is read over this many horizons as well as over one: a ramp shows in both, a burst in one. */
const TREND_HORIZONS = 4;
/**
 * A surge must show within a minute, whatever the horizon: the trend over the last minute counts
 * too, for what it exceeds the noise (a minute's trend stretched over a boot magnifies its noise).
 */
const SURGE_WINDOW_MS = 60_000;

export interface MarginInput {
  readonly demand: DemandSeries;
  /** The boot time counted on (bootTimeMs). */
  readonly bootMs: number;
  /** Time between passes: a launch waits for the next one, its server for a probe. */
  readonly passGapMs: number;
  /** The standard deviation of the demand's growth over the horizon (growthDeviation). */
  readonly deviation: number;
}

/** How far ahead a margin must reach: a new server helps only once it is up, and a pass has seen it. */
export function horizonMs(bootMs: number, passGapMs: number): number {
  return bootMs + passGapMs;
}

/**
 * The adaptive margin: the free places must cover the growth of demand until a server launched
 * now is up. That is the expected growth over the horizon (the steepest trend of the net demand
 * over one horizon and over TREND_HORIZONS: arrivals less departures, turned-away players
 * included; or a surge over the last minute), plus NOISE_DEVIATIONS of its noise, never below
 * UPSCALE_MARGIN.
 * The downscale margin moves with it, keeping the configured gap, so the anti-flap rule holds.
 * Pure: the same history gives the same margins.
 */
export function estimateMargin(input: MarginInput, settings: Pick<PolicySettings, 'upscaleMargin' | 'downscaleMargin'>): MarginEstimate {
  const horizon = horizonMs(input.bootMs, input.passGapMs);
  const buckets = horizon / input.demand.bucketMs;
  const surgeBuckets = Math.min(buckets, SURGE_WINDOW_MS / input.demand.bucketMs);
  const noise = NOISE_DEVIATIONS * input.deviation;
  const surge = rateOver(input.demand, surgeBuckets) * buckets - noise;
  const growth = Math.max(0, surge, rateOver(input.demand, buckets) * buckets, rateOver(input.demand, TREND_HORIZONS * buckets) * buckets);
  const upscaleMargin = Math.max(settings.upscaleMargin, Math.ceil(growth + noise - 1e-9));
  return {
    upscaleMargin,
    downscaleMargin: settings.downscaleMargin + (upscaleMargin - settings.upscaleMargin),
    bootMs: input.bootMs,
    horizonMs: horizon,
    growth: round2(growth),
    noise: round2(noise),
    basis: upscaleMargin > settings.upscaleMargin ? 'demand' : 'configured',
  };
}

/** The settings a pass decides with: the configured ones, with the estimate's margins. */
export function withMargins(settings: PolicySettings, estimate: Pick<MarginEstimate, 'upscaleMargin' | 'downscaleMargin'>): PolicySettings {
  return { ...settings, upscaleMargin: estimate.upscaleMargin, downscaleMargin: estimate.downscaleMargin };
}

/** The boot time to count on: BOOT_QUANTILE of the recent launches, or the prior until MIN_LAUNCH_SAMPLES are measured. */
export function bootTimeMs(launchTimesMs: readonly number[], priorMs: number): number {
  if (launchTimesMs.length < MIN_LAUNCH_SAMPLES) return Math.max(priorMs, ...launchTimesMs);
  const sorted = [...launchTimesMs].sort((a, b) => a - b);
  return sorted[Math.ceil(BOOT_QUANTILE * sorted.length) - 1];
}

/**
 * The standard deviation of the demand's growth over `buckets`, with the trend taken out: each
 * growth less the one just before it. A ramp then adds nothing (both are the same), while noise
 * adds its variance twice, hence the halving. Read from the buckets that are complete (not the
 * newest), so it changes once a bucket.
 */
export function growthDeviation(demand: DemandSeries, buckets: number): number {
  const k = Math.max(1, Math.round(buckets));
  let sum = 0;
  let count = 0;
  for (let ago = 1; ago + 2 * k < demand.length; ago++) {
    const change = demand.levelAgo(ago) - 2 * demand.levelAgo(ago + k) + demand.levelAgo(ago + 2 * k);
    sum += change * change;
    count += 1;
  }
  return count > 0 ? Math.sqrt(sum / count / 2) : 0;
}

/** Growth per bucket over the last `buckets` (as far back as the history goes). */
function rateOver(demand: DemandSeries, buckets: number): number {
  const span = Math.min(Math.ceil(buckets), demand.length - 1);
  return span > 0 ? (demand.levelAgo(0) - demand.levelAgo(span)) / span : 0;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
