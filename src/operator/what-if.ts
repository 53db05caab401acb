import { InvalidSettingsError } from '../config/validate-settings';
import { RecordedTrace } from '../scaling/demand-record';
import { simulate } from '../simulation/simulation';
import { managerSettings } from '../simulation/simulation-settings';
import { SimulationReport } from '../simulation/simulation-report';
import { TimelineSample } from '../simulation/timeline';
import { parseJsonTrace } from '../simulation/trace';

/** What an operator may try on the recorded demand: the settings that shape the fleet. */
export const WHAT_IF_SETTINGS = ['MARGIN_MODE', 'UPSCALE_MARGIN', 'DOWNSCALE_MARGIN', 'SERVER_CAPACITY', 'MIN_SERVERS', 'MAX_SERVERS'] as const;
/** Up to the week the demand record keeps. */
export const WHAT_IF_MAX_HOURS = 7 * 24;
const MAX_BOOT_SECONDS = 3600;
/** Both runs face the very same players: one seed, the same for both. */
const SEED = 1;

/** A what-if as asked, checked. */
export interface WhatIfRequest {
  /** The settings to try, over the manager's own. */
  readonly settings: Readonly<Record<string, string>>;
  /** How long each simulated launch takes to become ready. */
  readonly bootSeconds: number;
  /** The last hours of recorded demand to replay. */
  readonly hours: number;
}

/** What the worker runs: plain data, so that it crosses to another thread. */
export interface WhatIfJob {
  readonly trace: RecordedTrace;
  /** Minutes since the epoch of the trace's first minute, so that the chart shows real times and a schedule its windows. */
  readonly firstMinute: number;
  readonly current: Readonly<Record<string, string>>;
  readonly candidate: Readonly<Record<string, string>>;
  readonly bootSeconds: number;
}

/** The figures of one run an operator weighs. */
export type WhatIfFigures = Pick<SimulationReport, 'players' | 'failedAllocations' | 'serverHours' | 'idlePlaceHours' | 'boundServerHours' | 'launches' | 'peakServers'> & {
  /**
   * Places up and not played on, integrated over time (from the chart's samples). Unlike
   * idlePlaceHours, which counts above each run's own margin, it compares across margins.
   */
  readonly unusedPlaceHours: number;
};

/** One point of a run's chart, as the simulator samples it, but `at` in ms since the epoch. */
export type WhatIfPoint = Pick<TimelineSample, 'at' | 'players' | 'places' | 'free' | 'servers' | 'margin' | 'failed'>;

export interface WhatIfRun {
  readonly settings: Readonly<Record<string, string>>;
  readonly figures: WhatIfFigures;
  readonly timeline: readonly WhatIfPoint[];
}

export interface WhatIfResult {
  readonly from: string;
  readonly to: string;
  readonly bootSeconds: number;
  readonly current: WhatIfRun;
  readonly candidate: WhatIfRun;
}

/**
 * Reads a what-if request body: `settings` (any of WHAT_IF_SETTINGS), `bootSeconds` and
 * `hours`, each optional. Throws InvalidSettingsError naming every problem; the candidate's
 * settings are validated as the environment is, with the manager's other settings around them.
 */
export function parseWhatIfRequest(body: unknown, current: Readonly<Record<string, string>>, defaults: { bootSeconds: number; hours: number }): WhatIfRequest {
  const problems: string[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidSettingsError(['the body must be a JSON object: {"settings": {...}, "bootSeconds": n, "hours": n}']);
  const { settings = {}, bootSeconds = defaults.bootSeconds, hours = defaults.hours, ...unknown } = body as Record<string, unknown>;
  for (const name of Object.keys(unknown)) problems.push(`${name} is not part of a what-if; give settings, bootSeconds or hours`);
  const tried: Record<string, string> = {};
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) problems.push('settings must be an object of settings and their values');
  else {
    for (const [name, value] of Object.entries(settings)) {
      if (!(WHAT_IF_SETTINGS as readonly string[]).includes(name)) problems.push(`${name} cannot be tried here; these can: ${WHAT_IF_SETTINGS.join(', ')}`);
      else if (typeof value !== 'string' && typeof value !== 'number') problems.push(`${name} must be a number or text, not ${JSON.stringify(value)}`);
      else tried[name] = String(value);
    }
  }
  if (!Number.isInteger(bootSeconds) || (bootSeconds as number) < 1 || (bootSeconds as number) > MAX_BOOT_SECONDS) {
    problems.push(`bootSeconds must be a whole number of seconds from 1 to ${MAX_BOOT_SECONDS}, not ${JSON.stringify(bootSeconds)}`);
  }
  if (!Number.isInteger(hours) || (hours as number) < 1 || (hours as number) > WHAT_IF_MAX_HOURS) {
    problems.push(`hours must be a whole number from 1 to ${WHAT_IF_MAX_HOURS}, not ${JSON.stringify(hours)}`);
  }
  try {
    managerSettings({ ...current, ...tried });
  } catch (error) {
    if (!(error instanceof InvalidSettingsError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new InvalidSettingsError(problems);
  return { settings: tried, bootSeconds: bootSeconds as number, hours: hours as number };
}

/** Runs the recorded demand against the current settings and the candidate ones. Pure, and long: run it off the event loop. */
export function runWhatIf(job: WhatIfJob): WhatIfResult {
  const trace = parseJsonTrace(JSON.stringify(job.trace), 'recorded demand');
  const startAt = job.firstMinute * 60_000;
  const boot = { minSeconds: job.bootSeconds, maxSeconds: job.bootSeconds };
  const run = (env: Readonly<Record<string, string>>): WhatIfRun => {
    const manager = managerSettings(env);
    const { report, timeline, timelinePeriodMs } = simulate(trace, { ...manager, boot, seed: SEED, startAt });
    const { players, failedAllocations, serverHours, idlePlaceHours, boundServerHours, launches, peakServers } = report;
    const unusedPlaceHours = (timeline.reduce((sum, sample) => sum + Math.max(0, sample.places - sample.players), 0) * timelinePeriodMs) / 3_600_000;
    return {
      settings: Object.fromEntries(WHAT_IF_SETTINGS.map((name) => [name, env[name] ?? ''])),
      figures: { players, failedAllocations, serverHours, idlePlaceHours, boundServerHours, launches, peakServers, unusedPlaceHours },
      timeline: timeline.map((sample) => ({
        at: startAt + sample.at,
        players: sample.players,
        places: sample.places,
        free: sample.free,
        servers: sample.servers,
        margin: sample.margin,
        failed: sample.failed,
      })),
    };
  };
  return {
    from: new Date(startAt).toISOString(),
    to: new Date(startAt + job.trace.arrivals.length * 60_000).toISOString(),
    bootSeconds: job.bootSeconds,
    current: run(job.current),
    candidate: run({ ...job.current, ...job.candidate }),
  };
}
