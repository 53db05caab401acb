import { CronTime } from 'cron';

/** More windows than this is a mistake (a generated list gone wrong), not a schedule. */
const MAX_WINDOWS = 100;

/** The capacity a window asks for while it lasts: free places, ready servers, or both. */
export interface CapacityFloor {
  readonly freePlaces: number;
  readonly minServers: number;
}

/** One declared window: every time a cron expression fires (for `minutes`), or once, from start to end. */
export interface CapacityWindow {
  readonly name: string;
  readonly floor: CapacityFloor;
  readonly when: { readonly kind: 'cron'; readonly cron: CronTime; readonly timeZone: string; readonly minutes: number } | { readonly kind: 'once'; readonly start: number; readonly end: number };
}

export class InvalidScheduleError extends Error {}

/**
 * Reads CAPACITY_SCHEDULE: a JSON list of windows, each with a floor (`freePlaces`, `minServers`)
 * and either `cron` (five fields, in `timeZone`, UTC by default) with `minutes`, or `start` and
 * `end` (ISO 8601 times with a zone), as Agones' Schedule policy takes a cron or a period.
 * Every mistake is named with the window it is in.
 */
export function parseCapacitySchedule(text: string): CapacityWindow[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InvalidScheduleError('must be a JSON list of windows such as [{"cron": "0 18 * * 5", "minutes": 120, "freePlaces": 200}]');
  }
  if (!Array.isArray(raw)) throw new InvalidScheduleError('must be a JSON list of windows');
  if (raw.length > MAX_WINDOWS) throw new InvalidScheduleError(`must have at most ${MAX_WINDOWS} windows`);
  return raw.map((item, index) => windowOf(item, index));
}

function windowOf(item: unknown, index: number): CapacityWindow {
  const fail = (message: string): never => {
    throw new InvalidScheduleError(`window ${index + 1}: ${message}`);
  };
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail('must be an object');
  const w = item as Record<string, unknown>;
  const known = ['name', 'cron', 'timeZone', 'minutes', 'start', 'end', 'freePlaces', 'minServers'];
  const unknown = Object.keys(w).filter((key) => !known.includes(key));
  if (unknown.length > 0) fail(`unknown field ${unknown.join(', ')}; the fields are ${known.join(', ')}`);
  const name = w.name === undefined ? `window ${index + 1}` : typeof w.name === 'string' && w.name.trim() !== '' ? w.name : fail('"name" must be a text');
  const count = (key: 'freePlaces' | 'minServers') =>
    w[key] === undefined ? 0 : Number.isInteger(w[key]) && (w[key] as number) >= 0 ? (w[key] as number) : fail(`"${key}" must be a whole number >= 0`);
  const floor = { freePlaces: count('freePlaces'), minServers: count('minServers') };
  if (floor.freePlaces === 0 && floor.minServers === 0) fail('asks for nothing: give "freePlaces" or "minServers" above 0');
  if ((w.cron === undefined) === (w.start === undefined)) fail('give either "cron" with "minutes", or "start" and "end"');
  if (w.cron !== undefined) {
    const timeZone = w.timeZone === undefined ? 'UTC' : typeof w.timeZone === 'string' ? w.timeZone : fail('"timeZone" must be a text such as Europe/Paris');
    if (w.end !== undefined) fail('"end" goes with "start"; a cron window lasts "minutes"');
    const minutes = typeof w.minutes === 'number' && w.minutes > 0 && Number.isFinite(w.minutes) ? w.minutes : fail('"minutes" must be a number > 0: how long each window lasts');
    let cron: CronTime;
    try {
      cron = new CronTime(String(w.cron), timeZone);
    } catch (error) {
      return fail(`"cron" ${JSON.stringify(w.cron)} in ${timeZone}: ${(error as Error).message}`);
    }
    return { name, floor, when: { kind: 'cron', cron, timeZone, minutes } };
  }
  if (w.timeZone !== undefined || w.minutes !== undefined) fail('"timeZone" and "minutes" go with "cron"; "start" and "end" carry their own zone');
  const time = (key: 'start' | 'end') => {
    const value = w[key];
    const at = typeof value === 'string' && /(Z|[+-]\d\d:\d\d)$/.test(value) ? Date.parse(value) : NaN;
    return Number.isNaN(at) ? fail(`"${key}" must be an ISO 8601 time with its zone, such as 2026-12-10T18:00:00Z`) : at;
  };
  const start = time('start');
  const end = time('end');
  if (end <= start) fail('"end" must come after "start"');
  return { name, floor, when: { kind: 'once', start, end } };
}
