import { InvalidSettingsError } from '../../src/config/validate-settings';
import { parseWhatIfRequest, runWhatIf, WhatIfJob } from '../../src/operator/what-if';
import { simulate } from '../../src/simulation/simulation';
import { managerSettings } from '../../src/simulation/simulation-settings';
import { parseJsonTrace } from '../../src/simulation/trace';

/** The manager's settings as PolicyTuning.environment() gives them: every one, as text. */
const CURRENT = { PLATFORM: 'local', PORT: '3000', MARGIN_MODE: 'fixed', UPSCALE_MARGIN: '4', DOWNSCALE_MARGIN: '18', SERVER_CAPACITY: '10', MIN_SERVERS: '1', MAX_SERVERS: '100', SLEEP_TIME: '5' };
const DEFAULTS = { bootSeconds: 90, hours: 12 };

function problemsOf(body: unknown): string[] {
  try {
    parseWhatIfRequest(body, CURRENT, DEFAULTS);
  } catch (error) {
    if (error instanceof InvalidSettingsError) return error.problems;
    throw error;
  }
  throw new Error('accepted');
}

describe('parseWhatIfRequest', () => {
  it.each<{ case: string; body: unknown; request: unknown }>([
    { case: 'nothing given: the current settings, the measured boot time, the hours recorded', body: {}, request: { settings: {}, bootSeconds: 90, hours: 12 } },
    {
      case: 'numbers and text alike, as the environment takes them',
      body: { settings: { UPSCALE_MARGIN: 8, DOWNSCALE_MARGIN: '30', MARGIN_MODE: 'adaptive' }, bootSeconds: 120, hours: 168 },
      request: { settings: { UPSCALE_MARGIN: '8', DOWNSCALE_MARGIN: '30', MARGIN_MODE: 'adaptive' }, bootSeconds: 120, hours: 168 },
    },
    { case: 'SERVER_CAPACITY, MIN_SERVERS, MAX_SERVERS', body: { settings: { SERVER_CAPACITY: 4, MIN_SERVERS: 2, MAX_SERVERS: 9, DOWNSCALE_MARGIN: 12 } }, request: { settings: { SERVER_CAPACITY: '4', MIN_SERVERS: '2', MAX_SERVERS: '9', DOWNSCALE_MARGIN: '12' }, bootSeconds: 90, hours: 12 } },
    { case: 'the bounds: 1 s, 1 hour', body: { bootSeconds: 1, hours: 1 }, request: { settings: {}, bootSeconds: 1, hours: 1 } },
    { case: 'the bounds: an hour, a week', body: { bootSeconds: 3600, hours: 168 }, request: { settings: {}, bootSeconds: 3600, hours: 168 } },
  ])('takes $case', ({ body, request }) => {
    expect(parseWhatIfRequest(body, CURRENT, DEFAULTS)).toEqual(request);
  });

  it.each<{ case: string; body: unknown; problems: string[] }>([
    { case: 'text', body: 'UPSCALE_MARGIN=8', problems: ['the body must be a JSON object: {"settings": {...}, "bootSeconds": n, "hours": n}'] },
    { case: 'a number', body: 8, problems: ['the body must be a JSON object: {"settings": {...}, "bootSeconds": n, "hours": n}'] },
    { case: 'no object', body: [], problems: ['the body must be a JSON object: {"settings": {...}, "bootSeconds": n, "hours": n}'] },
    { case: 'null', body: null, problems: ['the body must be a JSON object: {"settings": {...}, "bootSeconds": n, "hours": n}'] },
    { case: 'a field of its own', body: { seeds: 3 }, problems: ['seeds is not part of a what-if; give settings, bootSeconds or hours'] },
    { case: 'settings that are a list', body: { settings: ['UPSCALE_MARGIN'] }, problems: ['settings must be an object of settings and their values'] },
    { case: 'settings that are text', body: { settings: 'UPSCALE_MARGIN=8' }, problems: ['settings must be an object of settings and their values'] },
    { case: 'settings that are null', body: { settings: null }, problems: ['settings must be an object of settings and their values'] },
    {
      case: 'a setting that cannot be tried',
      body: { settings: { SLEEP_TIME: 1 } },
      problems: ['SLEEP_TIME cannot be tried here; these can: MARGIN_MODE, UPSCALE_MARGIN, DOWNSCALE_MARGIN, SERVER_CAPACITY, MIN_SERVERS, MAX_SERVERS'],
    },
    { case: 'a value neither number nor text', body: { settings: { UPSCALE_MARGIN: true } }, problems: ['UPSCALE_MARGIN must be a number or text, not true'] },
    { case: 'a boot time of 0', body: { bootSeconds: 0 }, problems: ['bootSeconds must be a whole number of seconds from 1 to 3600, not 0'] },
    { case: 'a boot time past an hour', body: { bootSeconds: 3601 }, problems: ['bootSeconds must be a whole number of seconds from 1 to 3600, not 3601'] },
    { case: 'a boot time as text', body: { bootSeconds: '60' }, problems: ['bootSeconds must be a whole number of seconds from 1 to 3600, not "60"'] },
    { case: 'a fraction of a second', body: { bootSeconds: 1.5 }, problems: ['bootSeconds must be a whole number of seconds from 1 to 3600, not 1.5'] },
    { case: 'no hour', body: { hours: 0 }, problems: ['hours must be a whole number from 1 to 168, not 0'] },
    { case: 'more than the week recorded', body: { hours: 169 }, problems: ['hours must be a whole number from 1 to 168, not 169'] },
    { case: 'hours as null', body: { hours: null }, problems: ['hours must be a whole number from 1 to 168, not null'] },
    { case: 'a value the environment refuses, in its words', body: { settings: { MAX_SERVERS: 0 } }, problems: [expect.stringMatching(/^Invalid setting MAX_SERVERS="0": must /)] },
    {
      case: 'a rule between the candidate and the current settings',
      body: { settings: { UPSCALE_MARGIN: 10 } },
      problems: ['Invalid settings: DOWNSCALE_MARGIN=18 must exceed UPSCALE_MARGIN=10 by more than SERVER_CAPACITY=10, otherwise the fleet would flap'],
    },
    {
      case: 'every problem at once, the environment\'s among them',
      body: { settings: { LOG_LEVEL: 'debug', MIN_SERVERS: 5, MAX_SERVERS: 4 }, bootSeconds: -1, hours: 1000, extra: 1 },
      problems: [
        'extra is not part of a what-if; give settings, bootSeconds or hours',
        'LOG_LEVEL cannot be tried here; these can: MARGIN_MODE, UPSCALE_MARGIN, DOWNSCALE_MARGIN, SERVER_CAPACITY, MIN_SERVERS, MAX_SERVERS',
        'bootSeconds must be a whole number of seconds from 1 to 3600, not -1',
        'hours must be a whole number from 1 to 168, not 1000',
        'Invalid settings: MIN_SERVERS=5 must not exceed MAX_SERVERS=4',
      ],
    },
  ])('refuses $case, naming each problem', ({ body, problems }) => {
    expect(problemsOf(body)).toEqual(problems);
  });
});

describe('runWhatIf', () => {
  const FIRST_MINUTE = Math.floor(Date.parse('2030-01-01T18:00:00Z') / 60_000);
  const job: WhatIfJob = {
    trace: {
      description: 'recorded',
      session: { distribution: 'exponential', meanMinutes: 10 },
      startPlayers: 5,
      arrivals: [2, 4, 6, 8, 10, 12, 10, 8, 6, 4, 2, 0],
    },
    firstMinute: FIRST_MINUTE,
    current: CURRENT,
    candidate: { UPSCALE_MARGIN: '12', DOWNSCALE_MARGIN: '30' },
    bootSeconds: 60,
  };

  it('runs the very simulation `npm run simulate` runs, for the current settings and for them with the candidate\'s over them', () => {
    const result = runWhatIf(job);
    const trace = parseJsonTrace(JSON.stringify(job.trace), 'recorded demand');
    const expected = (env: Record<string, string>) =>
      simulate(trace, { ...managerSettings(env), boot: { minSeconds: 60, maxSeconds: 60 }, seed: 1, startAt: FIRST_MINUTE * 60_000 }).report;
    for (const [run, env] of [
      [result.current, CURRENT],
      [result.candidate, { ...CURRENT, ...job.candidate }],
    ] as const) {
      const report = expected(env);
      expect(run.figures).toMatchObject({ players: report.players, failedAllocations: report.failedAllocations, serverHours: report.serverHours, launches: report.launches });
    }
    expect(result.candidate.settings).toEqual({ MARGIN_MODE: 'fixed', UPSCALE_MARGIN: '12', DOWNSCALE_MARGIN: '30', SERVER_CAPACITY: '10', MIN_SERVERS: '1', MAX_SERVERS: '100' });
    expect(result.from).toBe('2030-01-01T18:00:00.000Z');
    expect(result.to).toBe('2030-01-01T18:12:00.000Z');
  });

  it('charts on the real clock, from the trace\'s first minute', () => {
    const { current } = runWhatIf(job);
    expect(current.timeline[0].at).toBe(FIRST_MINUTE * 60_000);
    expect(current.timeline.every((point, index) => index === 0 || point.at > current.timeline[index - 1].at)).toBe(true);
  });

  it('counts unused place-hours the same way for both margins, where idle place-hours count above each run\'s own margin', () => {
    const { current, candidate } = runWhatIf(job);
    // The larger margin keeps more places up and unused, though its idle figure may be smaller.
    expect(candidate.figures.unusedPlaceHours).toBeGreaterThan(current.figures.unusedPlaceHours);
    for (const { figures, timeline } of [current, candidate]) {
      expect(figures.unusedPlaceHours).toBeGreaterThanOrEqual(figures.idlePlaceHours);
      // No more than the places paid for (10 a server), and what the chart it comes with shows: a sample a second here.
      expect(figures.unusedPlaceHours).toBeLessThan(figures.serverHours * 10);
      const charted = timeline.reduce((sum, point) => sum + point.places - point.players, 0) / 3600;
      expect(figures.unusedPlaceHours).toBeCloseTo(charted, 6);
    }
  });
});
