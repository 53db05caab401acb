import { InvalidScheduleError, parseCapacitySchedule } from '../../src/config/capacity-schedule';
import { validateSettings } from '../../src/config/validate-settings';
import { policySettingsFrom } from '../../src/scaling/policy-settings';
import { scheduledFloor, scheduleLeadMs, withFloor } from '../../src/scaling/scheduled-floor';
import { Settings } from '../../src/config/settings';

const at = (iso: string) => Date.parse(iso);
const MINUTE = 60_000;
/** The most windows a schedule may have (capacity-schedule.ts). */
const MAX = 100;
const noLead = () => 0;

describe('CAPACITY_SCHEDULE: windows of known events', () => {
  it('reads cron windows (in a time zone) and once-only windows', () => {
    const [friday, launch] = parseCapacitySchedule(
      JSON.stringify([
        { name: 'friday tournament', cron: '0 18 * * 5', timeZone: 'Europe/Paris', minutes: 120, freePlaces: 200 },
        { start: '2026-12-10T17:00:00Z', end: '2026-12-10T23:00:00+01:00', minServers: 20 },
      ]),
    );
    expect(friday).toMatchObject({ name: 'friday tournament', floor: { freePlaces: 200, minServers: 0 }, when: { kind: 'cron', timeZone: 'Europe/Paris', minutes: 120 } });
    expect(launch).toEqual({ name: 'window 2', floor: { freePlaces: 0, minServers: 20 }, when: { kind: 'once', start: at('2026-12-10T17:00:00Z'), end: at('2026-12-10T22:00:00Z') } });
  });

  it.each([
    ['not JSON', 'tomorrow at six', /must be a JSON list of windows such as/],
    ['not a list', '{"cron": "0 18 * * 5"}', /must be a JSON list of windows$/],
    ['a window that is not an object', '[3]', /window 1: must be an object/],
    ['an unknown field', '[{"cron": "0 18 * * 5", "minutes": 60, "freePlaces": 10, "places": 3}]', /window 1: unknown field places/],
    ['no floor', '[{"cron": "0 18 * * 5", "minutes": 60}]', /window 1: asks for nothing/],
    ['a negative floor', '[{"cron": "0 18 * * 5", "minutes": 60, "freePlaces": -1}]', /window 1: "freePlaces" must be a whole number >= 0/],
    ['both cron and start', '[{"cron": "0 18 * * 5", "start": "2026-12-10T17:00:00Z", "freePlaces": 1}]', /give either "cron" with "minutes", or "start" and "end"/],
    ['neither', '[{"freePlaces": 1}]', /give either "cron"/],
    ['a bad cron', '[{"cron": "0 25 * * 5", "minutes": 60, "freePlaces": 1}]', /window 1: "cron" "0 25 \* \* 5" in UTC: /],
    ['a bad time zone', '[{"cron": "0 18 * * 5", "timeZone": "Mars/Olympus", "minutes": 60, "freePlaces": 1}]', /in Mars\/Olympus: Invalid timezone/],
    ['a cron without minutes', '[{"cron": "0 18 * * 5", "freePlaces": 1}]', /"minutes" must be a number > 0/],
    ['a time without its zone', '[{"start": "2026-12-10T17:00:00", "end": "2026-12-10T18:00:00Z", "freePlaces": 1}]', /"start" must be an ISO 8601 time with its zone/],
    ['an end before the start', '[{"start": "2026-12-10T17:00:00Z", "end": "2026-12-10T16:00:00Z", "freePlaces": 1}]', /window 1: "end" must come after "start"/],
    ['minutes with start and end', '[{"start": "2026-12-10T17:00:00Z", "end": "2026-12-10T18:00:00Z", "minutes": 5, "freePlaces": 1}]', /go with "cron"/],
    ['a time zone with start and end', '[{"start": "2026-12-10T17:00:00Z", "end": "2026-12-10T18:00:00Z", "timeZone": "UTC", "freePlaces": 1}]', /^window 1: "timeZone" and "minutes" go with "cron"; "start" and "end" carry their own zone$/],
    ['too many windows', JSON.stringify(Array.from({ length: MAX + 1 }, () => ({ cron: '0 18 * * 5', minutes: 60, freePlaces: 1 }))), new RegExp(`^must have at most ${MAX} windows$`)],
    ['a list as a window', '[[]]', /^window 1: must be an object$/],
    ['null as a window', '[null]', /^window 1: must be an object$/],
    ['the second window at fault', '[{"cron": "0 18 * * 5", "minutes": 60, "freePlaces": 1}, {"cron": "0 18 * * 5", "minutes": 60}]', /^window 2: asks for nothing: give "freePlaces" or "minServers" above 0$/],
    ['two unknown fields', '[{"cron": "0 18 * * 5", "minutes": 60, "freePlaces": 1, "a": 1, "b": 2}]', /^window 1: unknown field a, b; the fields are name, cron, timeZone, minutes, start, end, freePlaces, minServers$/],
    ['a name that is blank', '[{"name": "  ", "cron": "0 18 * * 5", "minutes": 60, "freePlaces": 1}]', /^window 1: "name" must be a text$/],
    ['a name that is a number', '[{"name": 7, "cron": "0 18 * * 5", "minutes": 60, "freePlaces": 1}]', /^window 1: "name" must be a text$/],
    ['a floor that is not whole', '[{"cron": "0 18 * * 5", "minutes": 60, "minServers": 1.5}]', /^window 1: "minServers" must be a whole number >= 0$/],
    ['a time zone that is not text', '[{"cron": "0 18 * * 5", "timeZone": 2, "minutes": 60, "freePlaces": 1}]', /^window 1: "timeZone" must be a text such as Europe\/Paris$/],
    ['an end with cron', '[{"cron": "0 18 * * 5", "end": "2026-12-10T18:00:00Z", "minutes": 60, "freePlaces": 1}]', /^window 1: "end" goes with "start"; a cron window lasts "minutes"$/],
    ['minutes of 0', '[{"cron": "0 18 * * 5", "minutes": 0, "freePlaces": 1}]', /^window 1: "minutes" must be a number > 0: how long each window lasts$/],
    ['minutes as text', '[{"cron": "0 18 * * 5", "minutes": "60", "freePlaces": 1}]', /^window 1: "minutes" must be a number > 0/],
    ['an end equal to the start', '[{"start": "2026-12-10T17:00:00Z", "end": "2026-12-10T17:00:00Z", "freePlaces": 1}]', /^window 1: "end" must come after "start"$/],
    ['an end that is no time', '[{"start": "2026-12-10T17:00:00Z", "end": 5, "freePlaces": 1}]', /^window 1: "end" must be an ISO 8601 time with its zone, such as 2026-12-10T18:00:00Z$/],
  ])('refuses %s with the window at fault', (_case, text, message) => {
    expect(() => parseCapacitySchedule(text)).toThrow(InvalidScheduleError);
    expect(() => parseCapacitySchedule(text)).toThrow(message);
  });

  it('stops start-up naming the setting', () => {
    expect(() => validateSettings({ CAPACITY_SCHEDULE: '[{"freePlaces": 1}]' })).toThrow(/Invalid setting CAPACITY_SCHEDULE: window 1: give either "cron"/);
    expect(validateSettings({ CAPACITY_SCHEDULE: '[{"cron": "0 18 * * 5", "minutes": 60, "freePlaces": 10}]' }).CAPACITY_SCHEDULE).toContain('0 18');
  });
});

describe('scheduledFloor: what the schedule asks for now', () => {
  const windows = parseCapacitySchedule(
    JSON.stringify([
      { name: 'friday', cron: '0 18 * * 5', timeZone: 'Europe/Paris', minutes: 120, freePlaces: 200 },
      { name: 'launch', start: '2026-12-10T17:00:00Z', end: '2026-12-10T23:00:00Z', minServers: 20, freePlaces: 50 },
    ]),
  );

  it.each([
    { case: 'a quiet Thursday morning: nothing', now: '2026-12-10T09:00:00Z', leadMs: 0, expected: { freePlaces: 0, minServers: 0, windows: [] } },
    { case: 'the launch is on', now: '2026-12-10T20:00:00Z', leadMs: 0, expected: { freePlaces: 50, minServers: 20, windows: ['launch'] } },
    { case: 'the launch ended at 23:00', now: '2026-12-10T23:00:00Z', leadMs: 0, expected: { freePlaces: 0, minServers: 0, windows: [] } },
    { case: 'the launch starts within the lead: asked for already', now: '2026-12-10T16:55:00Z', leadMs: 6 * MINUTE, expected: { freePlaces: 50, minServers: 20, windows: ['launch'] } },
    { case: 'the launch starts after the lead: not yet', now: '2026-12-10T16:50:00Z', leadMs: 6 * MINUTE, expected: { freePlaces: 0, minServers: 0, windows: [] } },
    { case: 'the launch starts exactly at the end of the lead: asked for', now: '2026-12-10T16:54:00Z', leadMs: 6 * MINUTE, expected: { freePlaces: 50, minServers: 20, windows: ['launch'] } },
    { case: 'the launch starts at this very moment, no lead: asked for', now: '2026-12-10T17:00:00Z', leadMs: 0, expected: { freePlaces: 50, minServers: 20, windows: ['launch'] } },
    { case: 'Friday 18:00 in Paris exactly at the end of a lead of 10 minutes', now: '2026-12-11T16:50:00Z', leadMs: 10 * MINUTE, expected: { freePlaces: 200, minServers: 0, windows: ['friday'] } },
    // 18:00 in Paris is 17:00 UTC in December.
    { case: 'Friday 18:30 in Paris', now: '2026-12-11T17:30:00Z', leadMs: 0, expected: { freePlaces: 200, minServers: 0, windows: ['friday'] } },
    { case: 'Friday 19:59 in Paris: still on', now: '2026-12-11T18:59:00Z', leadMs: 0, expected: { freePlaces: 200, minServers: 0, windows: ['friday'] } },
    { case: 'Friday 20:00 in Paris: over', now: '2026-12-11T19:00:00Z', leadMs: 0, expected: { freePlaces: 0, minServers: 0, windows: [] } },
    { case: 'Friday 17:55 in Paris with a lead of 10 minutes', now: '2026-12-11T16:55:00Z', leadMs: 10 * MINUTE, expected: { freePlaces: 200, minServers: 0, windows: ['friday'] } },
    { case: 'a Thursday at 18:30 in Paris: not the day', now: '2026-12-10T17:30:00Z', leadMs: 0, expected: { freePlaces: 50, minServers: 20, windows: ['launch'] } },
  ])('$case', ({ now, leadMs, expected }) => {
    expect(scheduledFloor(windows, at(now), () => leadMs)).toEqual(expected);
  });

  it('takes the largest of overlapping windows, floor by floor', () => {
    const overlapping = parseCapacitySchedule(
      JSON.stringify([
        { name: 'a', start: '2026-12-10T17:00:00Z', end: '2026-12-10T19:00:00Z', freePlaces: 100, minServers: 2 },
        { name: 'b', start: '2026-12-10T18:00:00Z', end: '2026-12-10T20:00:00Z', freePlaces: 40, minServers: 9 },
      ]),
    );
    expect(scheduledFloor(overlapping, at('2026-12-10T18:30:00Z'), noLead)).toEqual({ freePlaces: 100, minServers: 9, windows: ['a', 'b'] });
  });

  it.each([
    { case: 'one wave of launches: a boot and a pass', floor: { freePlaces: 100, minServers: 0 }, expected: 181_000 },
    { case: 'more servers than launches in flight: a boot per wave', floor: { freePlaces: 300, minServers: 0 }, expected: 2 * 180_000 + 1_000 },
    { case: 'servers asked for count as well', floor: { freePlaces: 0, minServers: 25 }, expected: 2 * 180_000 + 1_000 },
  ])('leads by $case', ({ floor, expected }) => {
    expect(scheduleLeadMs(floor, 180_000, 1_000, { serverCapacity: 10, maxLaunchesInFlight: 20 })).toBe(expected);
  });

  it.each([
    { case: 'no floor: the settings as they are', floor: { freePlaces: 0, minServers: 0 }, up: 4, down: 18, min: 1 },
    { case: 'more free places: both margins up, the gap kept', floor: { freePlaces: 100, minServers: 0 }, up: 100, down: 114, min: 1 },
    { case: 'a floor below the margin changes nothing', floor: { freePlaces: 3, minServers: 0 }, up: 4, down: 18, min: 1 },
    { case: 'more servers, never more than MAX_SERVERS', floor: { freePlaces: 0, minServers: 500 }, up: 4, down: 18, min: 100 },
  ])('$case', ({ floor, up, down, min }) => {
    expect(withFloor(policySettingsFrom(new Settings()), floor)).toMatchObject({ upscaleMargin: up, downscaleMargin: down, minServers: min });
  });
});
