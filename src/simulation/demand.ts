import { Random } from './random';
import { SessionLength, Trace } from './trace';

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;

/** One player as the trace and the seed make them: when they ask for a place, how long they then play. */
export interface PlannedPlayer {
  readonly arriveAt: number;
  readonly sessionMs: number;
}

/** Everyone a simulation will see, fixed before it starts, so every configuration faces the same players. */
export interface Demand {
  readonly arrivals: readonly PlannedPlayer[];
  /** Players already playing at time 0: how long each has left. */
  readonly startPlayersRemainingMs: readonly number[];
}

export function planDemand(trace: Trace, seed: number): Demand {
  const random = Random.stream(seed, 'demand');
  const arrivals: PlannedPlayer[] = [];
  trace.arrivalsPerMinute.forEach((rate, minute) => {
    const count = random.roundRandomly(rate);
    const offsets = Array.from({ length: count }, () => Math.floor(random.next() * MINUTE_MS)).sort((a, b) => a - b);
    for (const offset of offsets) arrivals.push({ arriveAt: minute * MINUTE_MS + offset, sessionMs: sessionMs(trace.session, random) });
  });
  // Someone met at a random moment of their session has a uniformly random part of it left.
  const startPlayersRemainingMs = Array.from({ length: trace.startPlayers }, () => Math.max(SECOND_MS, Math.floor(random.next() * sessionMs(trace.session, random))));
  return { arrivals, startPlayersRemainingMs };
}

function sessionMs(session: SessionLength, random: Random): number {
  const minutes =
    session.distribution === 'exponential'
      ? random.exponential(session.meanMinutes)
      : random.uniform(session.meanMinutes * (1 - session.spread), session.meanMinutes * (1 + session.spread));
  return Math.max(SECOND_MS, Math.round(minutes * MINUTE_MS));
}
