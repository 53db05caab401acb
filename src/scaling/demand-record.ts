const MINUTE_MS = 60_000;
/** A week of minutes: what the simulator reads at most (trace.ts), and a weekend's pattern with it. */
export const DEMAND_RECORD_MINUTES = 7 * 24 * 60;

interface Minute {
  index: number;
  handedOut: number;
  /** Of the places handed out, those to players counted turned away before (DemandCounts.waitsServed). */
  waitsServed: number;
  turnedAway: number;
  /** Places in use (taken or reserved) at the last pass of the minute. */
  inUse: number;
}

/** One recorded minute: what the operator API's trace (recordedTrace) and the what-if replay are made of. */
export interface RecordedMinute {
  /** Minutes since the epoch. */
  readonly minute: number;
  readonly handedOut: number;
  readonly waitsServed: number;
  readonly turnedAway: number;
  readonly inUse: number;
}

/** What one pass saw of the demand. */
export type PassDemand = Omit<RecordedMinute, 'minute'>;

/** The recorded demand as a trace that `npm run simulate` reads unchanged (trace.ts, JSON form). */
export interface RecordedTrace {
  readonly description: string;
  readonly session: { readonly distribution: 'exponential'; readonly meanMinutes: number };
  readonly startPlayers: number;
  readonly arrivals: readonly number[];
}

/**
 * The demand per minute over the last week, for replay: places handed out (and how many of them
 * ended a wait), players turned away, places in use. Bounded: a ring of DEMAND_RECORD_MINUTES,
 * about 300 KB. Fed by every pass.
 */
export class DemandRecord {
  private readonly ring: Minute[] = Array.from({ length: DEMAND_RECORD_MINUTES }, () => ({ index: -1, handedOut: 0, waitsServed: 0, turnedAway: 0, inUse: 0 }));
  private newest = -1;

  record(at: number, pass: PassDemand): void {
    const index = Math.max(Math.floor(at / MINUTE_MS), this.newest);
    const minute = this.ring[index % this.ring.length];
    if (minute.index !== index) Object.assign(minute, { index, handedOut: 0, waitsServed: 0, turnedAway: 0 });
    minute.handedOut += pass.handedOut;
    minute.waitsServed += pass.waitsServed;
    minute.turnedAway += pass.turnedAway;
    minute.inUse = pass.inUse;
    this.newest = index;
  }

  /** Every minute from the oldest kept to the newest, oldest first; minutes no pass saw carry nothing and the last count. */
  minutes(): RecordedMinute[] {
    if (this.newest < 0) return [];
    const out: RecordedMinute[] = [];
    let inUse: number | undefined;
    for (let index = this.newest - this.ring.length + 1; index <= this.newest; index++) {
      const minute = index >= 0 ? this.ring[index % this.ring.length] : undefined;
      const live = minute?.index === index;
      if (!live && inUse === undefined) continue;
      if (live) inUse = minute.inUse;
      out.push({ minute: index, handedOut: live ? minute.handedOut : 0, waitsServed: live ? minute.waitsServed : 0, turnedAway: live ? minute.turnedAway : 0, inUse: inUse as number });
    }
    return out;
  }
}

/**
 * The recorded minutes as a trace: each minute's arrivals are the players turned away and the
 * places handed out to players not turned away before (a player who waited counts once, in the
 * minute its wait began; an anonymous client that asked again after a 503, once per try). The
 * players at the start are the places in use then, and the mean session comes from Little's law:
 * players in play on average over arrivals per minute. Undefined with no minute recorded.
 */
export function recordedTrace(minutes: readonly RecordedMinute[]): RecordedTrace | undefined {
  if (minutes.length === 0) return undefined;
  const arrivals = minutes.map((m) => m.handedOut - m.waitsServed + m.turnedAway);
  const perMinute = arrivals.reduce((sum, n) => sum + n, 0) / minutes.length;
  const inPlay = minutes.reduce((sum, m) => sum + m.inUse, 0) / minutes.length;
  // Nobody arrived: any session length replays the same; one minute keeps the trace valid.
  const meanMinutes = perMinute > 0 ? Math.round((inPlay / perMinute) * 10) / 10 : 1;
  const from = new Date(minutes[0].minute * MINUTE_MS).toISOString();
  const to = new Date((minutes[minutes.length - 1].minute + 1) * MINUTE_MS).toISOString();
  return {
    description: `Recorded by the manager from ${from} to ${to}: players arriving per minute (turned away, or handed a place without waiting); sessions of ${meanMinutes} minutes on average (Little's law), exponential.`,
    session: { distribution: 'exponential', meanMinutes: Math.max(meanMinutes, 0.1) },
    startPlayers: minutes[0].inUse,
    arrivals,
  };
}
