import { SERVER_STATES, ServerState } from '../domain/server-state';

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

type Step = { -readonly [K in keyof HistoryPoint]: HistoryPoint[K] } & { index: number; seen: boolean };

const EMPTY_STATES = (): Record<ServerState, number> => Object.fromEntries(SERVER_STATES.map((state) => [state, 0])) as Record<ServerState, number>;

/**
 * The fleet of the last HISTORY_HOURS, a point per HISTORY_STEP_MS, for the operator's chart.
 * Bounded: a ring of steps, about 0.5 MB, fed by every pass and every launch. Steps no pass saw
 * (the manager paused, or a standby) are left out, so the chart shows a gap, not made-up figures.
 */
export class FleetHistory {
  private readonly ring: Step[] = Array.from({ length: STEPS }, () => ({
    index: -1,
    seen: false,
    at: 0,
    players: 0,
    capacityUp: 0,
    free: 0,
    upscaleMargin: 0,
    downscaleMargin: 0,
    serversByState: EMPTY_STATES(),
    launches: 0,
    turnedAway: 0,
  }));
  private newest = -1;

  /** A pass ran at `at` and saw `figures`. */
  passed(at: number, figures: PassFigures): void {
    const step = this.stepAt(at);
    const { turnedAway, serversByState, ...rest } = figures;
    Object.assign(step, rest, { seen: true, serversByState: { ...serversByState } });
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
      const { index: stepIndex, seen, ...point } = this.ring[index % STEPS];
      if (stepIndex === index && seen && point.at >= since) out.push({ ...point, serversByState: { ...point.serversByState } });
    }
    return out;
  }

  private stepAt(at: number): Step {
    // A clock that steps back writes into the newest step rather than rewrite the past.
    const index = Math.max(Math.floor(at / HISTORY_STEP_MS), this.newest);
    const step = this.ring[index % STEPS];
    if (step.index !== index) Object.assign(step, { index, seen: false, at: index * HISTORY_STEP_MS, launches: 0, turnedAway: 0, serversByState: EMPTY_STATES() });
    this.newest = index;
    return step;
  }
}
