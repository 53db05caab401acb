import { FleetCensus } from './simulated-fleet';

/** The fleet at one moment, for the plot. */
export interface TimelineSample extends FleetCensus {
  readonly at: number;
  /** Failed allocations from this sample until the next one. */
  readonly failed: number;
}

/** How many samples a run keeps at most, whatever its length: enough for a smooth plot. */
const TARGET_SAMPLES = 1440;

/** Samples the fleet at a fixed period; a period is at least a second. */
export class Timeline {
  readonly periodMs: number;
  private readonly samples: Omit<TimelineSample, 'failed'>[] = [];
  private readonly failures = new Map<number, number>();

  constructor(durationMs: number) {
    this.periodMs = Math.max(1000, Math.ceil(durationMs / TARGET_SAMPLES / 1000) * 1000);
  }

  /** The fleet stays as `census` until `to`: takes every sample due before then. */
  steadyUntil(to: number, census: FleetCensus): void {
    for (let at = this.samples.length * this.periodMs; at < to; at = this.samples.length * this.periodMs) this.samples.push({ at, ...census });
  }

  failedAt(at: number): void {
    const bucket = Math.floor(at / this.periodMs);
    this.failures.set(bucket, (this.failures.get(bucket) ?? 0) + 1);
  }

  result(): TimelineSample[] {
    return this.samples.map((sample, index) => ({ ...sample, failed: this.failures.get(index) ?? 0 }));
  }
}
