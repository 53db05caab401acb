import { ServerState } from '../domain/server-state';

/** One point of the chart per step: fine enough for a few hours, 2,160 points over HISTORY_HOURS. */
export const HISTORY_STEP_MS = 10_000;
/** What the operator's page charts: the last hours, not the week the demand record keeps. */
export const HISTORY_HOURS = 6;
const STEPS = (HISTORY_HOURS * 3_600_000) / HISTORY_STEP_MS;

/** What one pass saw, as the chart shows it. */
export interface PassFigures {
  /** Places in use: taken by players or handed out and not yet taken. */
  readonly players: number;
  /** Places on servers that are up (ready, draining or unhealthy). */
  readonly capacityUp: number;
  /** Free capacity as the policy counted it before its actions. */
  readonly free: number;
  /** The upscale and downscale margins the pass held (the adaptive ones where adaptive). */
  readonly upscaleMargin: number;
  readonly downscaleMargin: number;
  readonly serversByState: Readonly<Record<ServerState, number>>;
  /** Players turned away since the last pass. */
  readonly turnedAway: number;
}

/** The fleet over one step: the last pass's figures, and the launches and turned-away players of the whole step. */
export interface HistoryPoint extends Omit<PassFigures, 'turnedAway'> {
  /** Start of the step, ms since the epoch. */
  readonly at: number;
  readonly launches: number;
  readonly turnedAway: number;
}

/** One step as kept: the last figures a pass saw in it (none until one does), and the step's counts. */
interface Step {
  readonly index: number;
  figures?: Omit<PassFigures, 'turnedAway'>;
  launches: number;
  turnedAway: number;
}

/**
 * The fleet of the last HISTORY_HOURS, a point per HISTORY_STEP_MS, for the operator's chart.
 * Bounded: a ring of steps, about 0.5 MB, fed by every pass and every launch. Steps no pass saw
 * (the manager paused, or a standby) are left out, so the chart shows a gap, not made-up figures.
 */
export class FleetHistory {
  private readonly ring: (Step | undefined)[] = new Array(STEPS);
  private newest = -1;

  /** A pass ran at `at` and saw `figures`. */
  passed(at: number, figures: PassFigures): void {
    const step = this.stepAt(at);
    const { turnedAway, ...seen } = figures;
    step.figures = { ...seen, serversByState: { ...seen.serversByState } };
    step.turnedAway += turnedAway;
  }

  /** `count` launches began at `at`. */
  launched(at: number, count: number): void {
    this.stepAt(at).launches += count;
  }

  /** The steps a pass saw, oldest first, from `since` (ms since the epoch) on. */
  points(since = 0): HistoryPoint[] {
    const out: HistoryPoint[] = [];
    for (let index = Math.max(0, this.newest - STEPS + 1); index <= this.newest; index++) {
      const step = this.ring[index % STEPS];
      const at = index * HISTORY_STEP_MS;
      if (step?.index !== index || !step.figures || at < since) continue;
      out.push({ at, ...step.figures, serversByState: { ...step.figures.serversByState }, launches: step.launches, turnedAway: step.turnedAway });
    }
    return out;
  }

  private stepAt(at: number): Step {
    // A clock that steps back writes into the newest step rather than rewrite the past.
    const index = Math.max(Math.floor(at / HISTORY_STEP_MS), this.newest);
    let step = this.ring[index % STEPS];
    if (step?.index !== index) this.ring[index % STEPS] = step = { index, launches: 0, turnedAway: 0 };
    this.newest = index;
    return step;
  }
}
