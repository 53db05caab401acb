/** How long players stay: a mean, varied per player by the simulation's seeded random source. */
export type SessionLength =
  /** Uniform in mean × (1 ± spread); spread 0 makes every session the same length. */
  | { readonly distribution: 'uniform'; readonly meanMinutes: number; readonly spread: number }
  /** Many short sessions and a few long ones, as in casual play. */
  | { readonly distribution: 'exponential'; readonly meanMinutes: number };

/** A demand trace: who arrives when, and how long they stay. */
export interface Trace {
  readonly name: string;
  readonly description: string;
  /** Players arriving in each minute, from minute 0; a fraction is realised randomly (2.5: 2 or 3). */
  readonly arrivalsPerMinute: readonly number[];
  readonly session: SessionLength;
  /** Simulated time; at least the arrivals, longer to watch the fleet drain afterwards. */
  readonly durationMinutes: number;
  /** Players already playing at minute 0 (a fleet caught mid-evening), each part-way through a session. */
  readonly startPlayers: number;
}

export class InvalidTraceError extends Error {
  constructor(source: string, problem: string) {
    super(`${source}: ${problem}`);
    this.name = 'InvalidTraceError';
  }
}

export const DEFAULT_SESSION = { distribution: 'uniform', meanMinutes: 20, spread: 0.5 } as const satisfies SessionLength;

/** The most simulated time a trace may ask for: a week, minute by minute. */
const MAX_MINUTES = 7 * 24 * 60;

interface Segment {
  minutes: number;
  rate?: number;
  from?: number;
  to?: number;
}

/**
 * Reads a JSON trace (format in docs/scaling.md, Traces). Arrivals come either minute by minute
 * (`arrivals`) or as segments of constant or linearly changing rate (`segments`), which keeps a
 * day-long trace readable.
 */
export function parseJsonTrace(text: string, name: string): Trace {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidTraceError(name, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidTraceError(name, 'must be a JSON object');
  const fail = (problem: string): never => {
    throw new InvalidTraceError(name, problem);
  };

  if ((raw.arrivals === undefined) === (raw.segments === undefined)) fail('give either "arrivals" (players per minute) or "segments", not both');
  const arrivals = raw.arrivals !== undefined ? arrivalList(raw.arrivals, fail) : segmentArrivals(raw.segments, fail);
  const session = raw.session === undefined ? DEFAULT_SESSION : sessionLength(raw.session, fail);
  const durationMinutes = raw.durationMinutes === undefined ? arrivals.length : raw.durationMinutes;
  if (!isWhole(durationMinutes) || durationMinutes < arrivals.length || durationMinutes > MAX_MINUTES) {
    fail(`"durationMinutes" must be a whole number from the number of arrival minutes (${arrivals.length}) to ${MAX_MINUTES}`);
  }
  const startPlayers = raw.startPlayers ?? 0;
  if (!isWhole(startPlayers) || startPlayers < 0) fail('"startPlayers" must be a whole number >= 0');
  if (raw.description !== undefined && typeof raw.description !== 'string') fail('"description" must be a string');

  return checked(
    { name, description: (raw.description as string) ?? '', arrivalsPerMinute: arrivals, session, durationMinutes: durationMinutes as number, startPlayers: startPlayers as number },
    fail,
  );
}

/**
 * Reads a CSV trace: lines `minute,arrivals` (a header line is allowed, minutes left out have no
 * arrivals). CSV has no room for session lengths, so they come from the caller.
 */
export function parseCsvTrace(text: string, name: string, session: SessionLength = DEFAULT_SESSION): Trace {
  const fail = (problem: string): never => {
    throw new InvalidTraceError(name, problem);
  };
  const arrivals: number[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const cells = trimmed.split(',').map((cell) => cell.trim());
    if (index === 0 && !/^\d/.test(cells[0])) return;
    const [minute, count] = cells.map(Number);
    if (cells.length !== 2 || !isWhole(minute) || minute < 0 || minute >= MAX_MINUTES || !(count >= 0) || !Number.isFinite(count)) {
      fail(`line ${index + 1} must be "minute,arrivals" with a whole minute below ${MAX_MINUTES} and arrivals >= 0, got "${trimmed}"`);
    }
    while (arrivals.length <= minute) arrivals.push(0);
    arrivals[minute] += count;
  });
  return checked({ name, description: '', arrivalsPerMinute: arrivals, session, durationMinutes: arrivals.length, startPlayers: 0 }, fail);
}

function checked(trace: Trace, fail: (problem: string) => never): Trace {
  if (trace.durationMinutes === 0) fail('has no minutes: give at least one minute of arrivals');
  const session = trace.session;
  if (typeof session.meanMinutes !== 'number' || !(session.meanMinutes > 0) || !Number.isFinite(session.meanMinutes)) fail('the mean session length must be a number of minutes > 0');
  if (session.distribution === 'uniform' && (typeof session.spread !== 'number' || !(session.spread >= 0 && session.spread <= 1))) fail('the session spread must be from 0 to 1');
  return trace;
}

function arrivalList(value: unknown, fail: (problem: string) => never): number[] {
  if (!Array.isArray(value) || value.length > MAX_MINUTES) fail(`"arrivals" must be a list of at most ${MAX_MINUTES} numbers, one per minute`);
  return (value as unknown[]).map((count, minute) =>
    typeof count === 'number' && Number.isFinite(count) && count >= 0 ? count : fail(`"arrivals"[${minute}] must be a number >= 0`),
  );
}

function segmentArrivals(value: unknown, fail: (problem: string) => never): number[] {
  if (!Array.isArray(value)) return fail('"segments" must be a list of {"minutes", "rate"} or {"minutes", "from", "to"}');
  const arrivals: number[] = [];
  (value as Segment[]).forEach((segment, index) => {
    const where = `"segments"[${index}]`;
    if (typeof segment !== 'object' || segment === null) fail(`${where} must be an object`);
    const { minutes, rate, from, to } = segment;
    if (!isWhole(minutes) || minutes < 1) fail(`${where}.minutes must be a whole number >= 1`);
    const constant = rate !== undefined;
    if (constant === (from !== undefined || to !== undefined)) fail(`${where} needs either "rate", or "from" and "to"`);
    const start = constant ? rate : from;
    const end = constant ? rate : to;
    for (const v of [start, end]) if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`${where}: rates must be numbers >= 0`);
    if (arrivals.length + minutes > MAX_MINUTES) fail(`the segments last more than ${MAX_MINUTES} minutes`);
    // Each minute takes the rate at its middle, so a ramp from 0 to 10 over 10 minutes averages 5.
    for (let m = 0; m < minutes; m++) arrivals.push((start as number) + ((end as number) - (start as number)) * ((m + 0.5) / minutes));
  });
  return arrivals;
}

function sessionLength(value: unknown, fail: (problem: string) => never): SessionLength {
  const session = value as Record<string, unknown>;
  if (typeof session !== 'object' || session === null) return fail('"session" must be an object');
  const meanMinutes = session.meanMinutes as number;
  switch (session.distribution ?? 'uniform') {
    case 'uniform':
      return { distribution: 'uniform', meanMinutes, spread: (session.spread as number) ?? DEFAULT_SESSION.spread };
    case 'exponential':
      return { distribution: 'exponential', meanMinutes };
    default:
      return fail('"session.distribution" must be "uniform" or "exponential"');
  }
}

function isWhole(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}
