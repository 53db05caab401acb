import { FleetCensus } from './simulated-fleet';

/** The fleet at one moment, for the plot. */
export interface TimelineSample extends FleetCensus {
  readonly at: number;
  /** Failed allocations from this sample until the next one. */
  readonly failed: number;
  /** The upscale margin the policy held: UPSCALE_MARGIN, or the adaptive margin. */
  readonly margin: number;
  /** Servers the clairvoyant bound needs at this moment (DemandCurve): added by the simulation. */
  readonly boundServers: number;
}

/** How many samples a run keeps at most, whatever its length: enough for a smooth plot. */
const TARGET_SAMPLES = 1440;

type FleetCensusAt = FleetCensus & { readonly at: number; readonly margin: number };

/** Samples the fleet at a fixed period; a period is at least a second. */
export class Timeline {
  readonly periodMs: number;
  private readonly samples: FleetCensusAt[] = [];
  private readonly failures = new Map<number, number>();

  constructor(durationMs: number) {
    this.periodMs = Math.max(1000, Math.ceil(durationMs / TARGET_SAMPLES / 1000) * 1000);
  }

  /** The fleet stays as `census` until `to`: takes every sample due before then. */
  steadyUntil(to: number, census: FleetCensus, margin: number): void {
    for (let at = this.samples.length * this.periodMs; at < to; at = this.samples.length * this.periodMs) this.samples.push({ at, margin, ...census });
  }

  failedAt(at: number): void {
    const bucket = Math.floor(at / this.periodMs);
    this.failures.set(bucket, (this.failures.get(bucket) ?? 0) + 1);
  }

  result(): (FleetCensusAt & { readonly failed: number })[] {
    return this.samples.map((sample, index) => ({ ...sample, failed: this.failures.get(index) ?? 0 }));
  }
}
