import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { validateSettings } from '../../src/config/validate-settings';
import { PolicyTuning } from '../../src/scaling/policy-tuning';

/** The earlier manager's margins and the defaults otherwise, as a manager started with them has. */
const tuningFrom = (env: Record<string, string> = {}) => new PolicyTuning(validateSettings({ UPSCALE_MARGIN: '4', DOWNSCALE_MARGIN: '18', SERVER_CAPACITY: '10', ...env }));

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));
afterEach(() => jest.restoreAllMocks());

describe('PolicyTuning: the settings an operator changes at run time', () => {
  it('applies a change to the policy at once, and records each value before and after', () => {
    const tuning = tuningFrom();
    const change = tuning.apply({ UPSCALE_MARGIN: 6, DOWNSCALE_MARGIN: '30', MAX_SERVERS: 12 });
    expect(change).toEqual({ at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), changes: { UPSCALE_MARGIN: { from: 4, to: 6 }, DOWNSCALE_MARGIN: { from: 18, to: 30 }, MAX_SERVERS: { from: 100, to: 12 } } });
    expect(tuning.policy()).toMatchObject({ upscaleMargin: 6, downscaleMargin: 30, maxServers: 12, serverCapacity: 10 });
    expect(tuning.values()).toEqual({ MARGIN_MODE: 'fixed', UPSCALE_MARGIN: 6, DOWNSCALE_MARGIN: 30, MIN_SERVERS: 1, MAX_SERVERS: 12, CAPACITY_SCHEDULE: null });
    expect(tuning.history()).toEqual([change]);
    expect(tuning.version).toBe(1);
  });

  it('changes the margin mode', () => {
    const tuning = tuningFrom();
    expect(tuning.marginMode()).toBe('fixed');
    tuning.apply({ MARGIN_MODE: 'adaptive' });
    expect(tuning.marginMode()).toBe('adaptive');
  });

  it.each<{ case: string; patch: Record<string, unknown>; problems: string[] }>([
    { case: 'a setting that cannot change at run time', patch: { SERVER_CAPACITY: 20, UPSCALE_MARGIN: 5 }, problems: ['SERVER_CAPACITY cannot be changed at run time; these can: MARGIN_MODE, UPSCALE_MARGIN, DOWNSCALE_MARGIN, MIN_SERVERS, MAX_SERVERS, CAPACITY_SCHEDULE'] },
    { case: 'nothing', patch: {}, problems: ['nothing to change; give one or more of MARGIN_MODE, UPSCALE_MARGIN, DOWNSCALE_MARGIN, MIN_SERVERS, MAX_SERVERS, CAPACITY_SCHEDULE'] },
    { case: 'a value the environment would refuse', patch: { MAX_SERVERS: 0 }, problems: [expect.stringMatching(/^Invalid setting MAX_SERVERS="0": must /)] },
    { case: 'a value that is no number nor text, shown as JSON', patch: { UPSCALE_MARGIN: { much: true } }, problems: [expect.stringMatching(/^Invalid setting UPSCALE_MARGIN="\{\\"much\\":true\}": must /)] },
    { case: 'settings that break a rule between them', patch: { UPSCALE_MARGIN: 10 }, problems: ['Invalid settings: DOWNSCALE_MARGIN=18 must exceed UPSCALE_MARGIN=10 by more than SERVER_CAPACITY=10, otherwise the fleet would flap'] },
    { case: 'MIN_SERVERS above MAX_SERVERS', patch: { MIN_SERVERS: 5, MAX_SERVERS: 4 }, problems: ['Invalid settings: MIN_SERVERS=5 must not exceed MAX_SERVERS=4'] },
    {
      case: 'a schedule with a bad window, named',
      patch: { CAPACITY_SCHEDULE: [{ cron: '0 18 * * 5', minutes: 60, freePlaces: 50 }, { start: '2026-12-10T18:00:00Z', end: '2026-12-10T17:00:00Z', minServers: 3 }] },
      problems: ['Invalid setting CAPACITY_SCHEDULE: window 2: "end" must come after "start"'],
    },
    { case: 'a schedule that is no list (null does not clear it: [] does)', patch: { CAPACITY_SCHEDULE: null }, problems: ['Invalid setting CAPACITY_SCHEDULE: must be a JSON list of windows'] },
  ])('refuses $case with the environment\'s messages, and changes nothing', ({ patch, problems }) => {
    const tuning = tuningFrom();
    const before = { policy: tuning.policy(), values: tuning.values() };
    let refusal: unknown;
    try {
      tuning.apply(patch);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toMatchObject({ name: 'InvalidSettingsError', problems });
    expect({ policy: tuning.policy(), values: tuning.values() }).toEqual(before);
    expect(tuning.history()).toEqual([]);
    expect(tuning.version).toBe(0);
  });

  it.each([
    { given: 'a list', schedule: [{ name: 'launch day', start: '2026-12-10T18:00:00Z', end: '2026-12-10T22:00:00Z', freePlaces: 200 }] },
    { given: 'its JSON text', schedule: JSON.stringify([{ name: 'launch day', start: '2026-12-10T18:00:00Z', end: '2026-12-10T22:00:00Z', freePlaces: 200 }]) },
  ])('sets a capacity schedule given as $given, and clears it with an empty list', ({ schedule }) => {
    const tuning = tuningFrom();
    expect(tuning.schedule()).toEqual([]);
    const text = '[{"name":"launch day","start":"2026-12-10T18:00:00Z","end":"2026-12-10T22:00:00Z","freePlaces":200}]';
    expect(tuning.apply({ CAPACITY_SCHEDULE: schedule }).changes).toEqual({ CAPACITY_SCHEDULE: { from: null, to: text } });
    expect(tuning.schedule()).toEqual([
      { name: 'launch day', floor: { freePlaces: 200, minServers: 0 }, when: { kind: 'once', start: Date.parse('2026-12-10T18:00:00Z'), end: Date.parse('2026-12-10T22:00:00Z') } },
    ]);
    expect(tuning.values().CAPACITY_SCHEDULE).toBe(text);
    expect(tuning.environment().CAPACITY_SCHEDULE).toBe(text);

    expect(tuning.apply({ CAPACITY_SCHEDULE: [] }).changes).toEqual({ CAPACITY_SCHEDULE: { from: text, to: '[]' } });
    expect(tuning.schedule()).toEqual([]);
  });

  it("starts from the environment's schedule", () => {
    const tuning = tuningFrom({ CAPACITY_SCHEDULE: '[{"cron": "0 18 * * 5", "timeZone": "Europe/Paris", "minutes": 120, "minServers": 4}]' });
    expect(tuning.schedule()).toEqual([{ name: 'window 1', floor: { freePlaces: 0, minServers: 4 }, when: expect.objectContaining({ kind: 'cron', timeZone: 'Europe/Paris', minutes: 120 }) }]);
  });

  it('keeps the settings of the environment that no change names, secrets and all', () => {
    const tuning = tuningFrom({ MIN_SERVERS: '2', ADMIN_TOKEN: 'an-admin-token-of-sixteen', SLEEP_TIME: '3' });
    tuning.apply({ MAX_SERVERS: 50 });
    expect(tuning.policy()).toMatchObject({ minServers: 2, maxServers: 50, upscaleMargin: 4 });
  });

  it('logs each change with its values, and a change that changes no value as such', () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn');
    const tuning = tuningFrom();
    tuning.apply({ UPSCALE_MARGIN: 6, MAX_SERVERS: 100 });
    const same = tuning.apply({ UPSCALE_MARGIN: 6 });
    tuning.apply({ UPSCALE_MARGIN: 5, MAX_SERVERS: 50 });
    expect(same.changes).toEqual({});
    expect(warnings.mock.calls.map(([fields, message]) => [fields, message])).toEqual([
      [{ tuning: expect.objectContaining({ changes: { UPSCALE_MARGIN: { from: 4, to: 6 } } }) }, 'settings changed at run time: UPSCALE_MARGIN 4 -> 6'],
      [{ tuning: same }, 'settings changed at run time: no value differs from before'],
      [{ tuning: expect.anything() }, 'settings changed at run time: UPSCALE_MARGIN 6 -> 5, MAX_SERVERS 100 -> 50'],
    ]);
    // Even a change that changed nothing counts: a pass records it with its decisions.
    expect(tuning.version).toBe(3);
  });

  it('keeps the last 20 changes to show, and counts every one', () => {
    const tuning = tuningFrom();
    for (let i = 1; i <= 25; i++) tuning.apply({ MAX_SERVERS: 100 + i });
    expect(tuning.history()).toHaveLength(20);
    expect(tuning.history()[0].changes.MAX_SERVERS).toEqual({ from: 105, to: 106 });
    expect(tuning.history().at(-1)?.changes.MAX_SERVERS).toEqual({ from: 124, to: 125 });
    expect(tuning.version).toBe(25);
  });
});
