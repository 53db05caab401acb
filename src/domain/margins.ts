import { CapacityFloor } from '../config/capacity-schedule';
import { MarginMode } from '../config/settings';

/** The adaptive margins of one pass, and the figures they came from (scaling/margin-estimator.ts). */
export interface MarginEstimate {
  readonly upscaleMargin: number;
  readonly downscaleMargin: number;
  /** The boot time counted on: BOOT_QUANTILE of the recent launches, or the prior. */
  readonly bootMs: number;
  /** How far ahead the margin must reach: a boot and a pass. */
  readonly horizonMs: number;
  /** The net growth of demand expected over the horizon, from its trend (never below 0). */
  readonly growth: number;
  /** Room for the noise of the demand over the horizon, from its recent history. */
  readonly noise: number;
  /** What set the upscale margin: UPSCALE_MARGIN, or the demand. */
  readonly basis: 'configured' | 'demand';
}

/** The floor the capacity schedule asks for now, and the windows it comes from (scaling/scheduled-floor.ts). */
export interface ScheduledFloor extends CapacityFloor {
  /** The windows in effect or starting within the lead time; empty when none. */
  readonly windows: readonly string[];
}

/** The margins a pass held, and what the adaptive estimate said (in fixed mode too, for comparison). */
export interface HeldMargins {
  readonly mode: MarginMode;
  readonly upscaleMargin: number;
  readonly downscaleMargin: number;
  /** Absent before the first pass. */
  readonly estimate?: MarginEstimate;
  /** The schedule's floor, while a window is on or about to begin. */
  readonly scheduled?: ScheduledFloor;
}
