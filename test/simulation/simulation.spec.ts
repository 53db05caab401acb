import * as marginPolicy from '../../src/scaling/margin-policy';
import { FleetSnapshot, PolicySettings } from '../../src/domain/fleet-snapshot';
import { compareOnTrace, PRESET_CONFIGURATIONS } from '../../src/simulation/comparison';
import { CURRENT_POLICY, LEGACY_POLICY, SimulatedPolicy } from '../../src/simulation/scaling-policies';
import { ECS_EC2_BOOT, simulate, SimulationConfig, SimulationError } from '../../src/simulation/simulation';
import { managerSettings } from '../../src/simulation/simulation-settings';
import { parseJsonTrace, Trace } from '../../src/simulation/trace';
import { bundledTraceNames, loadTrace } from '../../src/simulation/trace-files';

const DEFAULTS = managerSettings({});

function config(env: Record<string, string> = {}, fields: Partial<SimulationConfig> = {}): SimulationConfig {
  const { settings, sleepTimeSeconds } = managerSettings(env);
  return { settings, sleepTimeSeconds, boot: ECS_EC2_BOOT, seed: 1, ...fields };
}

function trace(json: object, name = 'test'): Trace {
  return parseJsonTrace(JSON.stringify(json), name);
}

/** Nobody arrives; the players already there leave within two minutes; an hour to watch the fleet. */
const EMPTYING = trace({ startPlayers: 30, session: { meanMinutes: 2, spread: 0 }, arrivals: [], durationMinutes: 60 });

describe('the simulator', () => {
  afterEach(() => jest.restoreAllMocks());

  it('gives the same report and timeline for the same seed, and a different one for another seed', () => {
    const ramp = loadTrace('steady-ramp');
    const first = simulate(ramp, config({}, { seed: 7 }));
    const again = simulate(ramp, config({}, { seed: 7 }));
    const other = simulate(ramp, config({}, { seed: 8 }));
    expect(again).toEqual(first);
    expect(other.report).not.toEqual(first.report);
    expect(other.report.players).not.toBe(first.report.players);
  });

  it('runs a simulated day in well under a few seconds', () => {
    const started = performance.now();
    const { report } = simulate(loadTrace('daily-cycle'), config());
    expect(report.simulatedHours).toBe(24);
    expect(report.passes).toBeGreaterThanOrEqual(86_400);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('paces passes like the reconcile loop: SLEEP_TIME apart, never closer than its floor', () => {
    const quiet = trace({ arrivals: [], durationMinutes: 10 });
    expect(simulate(quiet, config({ SLEEP_TIME: '5' })).report.passes).toBe(120);
    expect(simulate(quiet, config({ SLEEP_TIME: '0' })).report.passes).toBe(6000);
  });

  describe('drives the manager’s own policy', () => {
    it('calls decideScaling from src/scaling/margin-policy.ts once per pass', () => {
      const spy = jest.spyOn(marginPolicy, 'decideScaling');
      const { report } = simulate(loadTrace('spike'), config());
      expect(spy).toHaveBeenCalledTimes(report.passes);
      const [snapshot, settings] = spy.mock.calls[0];
      expect(settings).toEqual(DEFAULTS.settings);
      expect(snapshot.servers[0]).toMatchObject({ state: 'ready', reserved: 0, consecutiveFailures: 0 });
    });

    it('drains where decideScaling drains, and not where it does not', () => {
      // Four empty ready servers: 40 free places, over DOWNSCALE_MARGIN=18.
      const idleFleet: FleetSnapshot = {
        now: 0,
        launchFailures: { consecutive: 0 },
        unmetDemand: 0,
        servers: ['a', 'b', 'c', 'd'].map((id) => ({ id, state: 'ready', free: 10, reserved: 0, readyToClose: true, consecutiveFailures: 0, launchedAt: 0 })),
      };
      const draining = managerSettings({ MIN_SERVERS: '1' }).settings;
      const holding = managerSettings({ MIN_SERVERS: '4' }).settings;
      expect(marginPolicy.decideScaling(idleFleet, draining).actions.map((a) => a.kind)).toContain('drain');
      expect(marginPolicy.decideScaling(idleFleet, holding).actions).toEqual([]);

      const drained = simulate(EMPTYING, config({ MIN_SERVERS: '1' })).report;
      expect(drained.drains).toBeGreaterThanOrEqual(3);
      expect(drained.stops).toBe(drained.drains);
      const held = simulate(EMPTYING, config({ MIN_SERVERS: '4' })).report;
      expect(held).toMatchObject({ drains: 0, stops: 0 });
    });

    it('passes the settings through the manager’s own validation', () => {
      expect(() => managerSettings({ UPSCALE_MARGIN: '4', DOWNSCALE_MARGIN: '14' })).toThrow(/DOWNSCALE_MARGIN=14 must exceed UPSCALE_MARGIN=4 by more than SERVER_CAPACITY=10/);
      expect(() => managerSettings({ MAX_LAUNCHES_IN_FLIGHT: 'many' })).toThrow(/MAX_LAUNCHES_IN_FLIGHT="many"/);
    });
  });

  describe('measures', () => {
    it('idle place-hours above the upscale margin and server-hours', () => {
      const quietHour = trace({ arrivals: [], durationMinutes: 60 });
      const { report } = simulate(quietHour, config());
      // One empty server for an hour: 10 free places, 4 of them the margin.
      expect(report.serverHours).toBeCloseTo(1, 6);
      expect(report.idlePlaceHours).toBeCloseTo(6, 6);
      expect(report.shortfalls).toBe(0);
    });

    it('the time from a shortfall to the capacity arriving', () => {
      // Seven players in the first minute leave 3 free places; the launched server is up 120 s later.
      const seven = trace({ arrivals: [7], session: { meanMinutes: 60, spread: 0 }, durationMinutes: 30 });
      const { report } = simulate(seven, config({}, { boot: { minSeconds: 120, maxSeconds: 120 } }));
      expect(report).toMatchObject({ failedAllocations: 0, launches: 1, shortfalls: 1 });
      // Up after 120 s, seen by the next pass at most SLEEP_TIME later.
      expect(report.shortfallMeanSeconds).toBeGreaterThanOrEqual(120);
      expect(report.shortfallMeanSeconds).toBeLessThanOrEqual(121);
      expect(report.shortfallMaxSeconds).toBe(report.shortfallMeanSeconds);
    });
  });

  describe('on the tournament spike', () => {
    const spike = loadTrace('spike');

    it('fails no allocation with a margin that covers the spike', () => {
      const { report } = simulate(spike, config({ UPSCALE_MARGIN: '320', DOWNSCALE_MARGIN: '340' }));
      expect(report.failedAllocations).toBe(0);
      expect(report.launches).toBeGreaterThan(30);
    });

    it('fails allocations with margin 0 and slow boots', () => {
      const { report } = simulate(spike, config({ UPSCALE_MARGIN: '0', DOWNSCALE_MARGIN: '11' }, { boot: { minSeconds: 200, maxSeconds: 290 } }));
      expect(report.failedAllocations).toBeGreaterThan(100);
    });

    it('fails allocations with margin 1 and slow boots, although the fleet grows', () => {
      const { report } = simulate(spike, config({ UPSCALE_MARGIN: '1', DOWNSCALE_MARGIN: '12' }, { boot: { minSeconds: 200, maxSeconds: 290 } }));
      expect(report.launches).toBeGreaterThan(5);
      expect(report.failedAllocations).toBeGreaterThan(100);
    });

    it.each([1, 2, 3, 4, 5])('fails no more allocations under the current policy than under the earlier manager’s (seed %i)', (seed) => {
      const current = simulate(spike, config({}, { seed, policy: CURRENT_POLICY })).report;
      const legacy = simulate(spike, config({}, { seed, policy: LEGACY_POLICY })).report;
      expect(current.players).toBe(legacy.players);
      expect(current.failedAllocations).toBeLessThanOrEqual(legacy.failedAllocations);
    });

    it('fails fewer allocations under the current policy when the margin asks for several launches at once', () => {
      const env = { UPSCALE_MARGIN: '30', DOWNSCALE_MARGIN: '45' };
      const current = simulate(spike, config(env, { policy: CURRENT_POLICY })).report;
      const legacy = simulate(spike, config(env, { policy: LEGACY_POLICY })).report;
      expect(current.failedAllocations).toBeLessThan(legacy.failedAllocations);
    });
  });

  describe('scheduled capacity', () => {
    it('turns nobody away on spike when a window is declared for the tournament, and costs little before it', () => {
      const schedule = JSON.stringify([{ name: 'tournament', start: '2026-01-05T01:00:00Z', end: '2026-01-05T01:05:00Z', freePlaces: 300 }]);
      const [none, scheduled] = compareOnTrace(
        loadTrace('spike'),
        [
          { label: 'adaptive', policy: CURRENT_POLICY, env: { MARGIN_MODE: 'adaptive' } },
          { label: 'adaptive with the window', policy: CURRENT_POLICY, env: { MARGIN_MODE: 'adaptive', CAPACITY_SCHEDULE: schedule } },
        ],
        { env: {}, boot: ECS_EC2_BOOT, seeds: [1, 2] },
      );
      expect(none.report.failedAllocations).toBeGreaterThan(100);
      expect(scheduled.report.failedAllocations).toBe(0);
    });
  });

  describe('never stops a server that has players', () => {
    it.each(bundledTraceNames())('on %s, under every preset configuration and several seeds', (name) => {
      const loaded = loadTrace(name);
      // The simulator throws SimulationError on such a stop; a clean run is the proof.
      const rows = compareOnTrace(loaded, PRESET_CONFIGURATIONS, { env: {}, boot: ECS_EC2_BOOT, seeds: [1, 2] });
      expect(rows).toHaveLength(PRESET_CONFIGURATIONS.length);
      for (const { report } of rows) expect(report.playersCutOff).toBe(0);
    });

    it('and the check catches a policy that does', () => {
      const reckless: SimulatedPolicy = {
        ...CURRENT_POLICY,
        name: 'reckless',
        decide: (snapshot) => snapshot.servers.filter((s) => s.state === 'ready' && s.free < 10).map((s) => ({ kind: 'stop', serverId: s.id, reason: 'drained' }) as const),
      };
      expect(() => simulate(loadTrace('steady-ramp'), config({}, { policy: reckless }))).toThrow(SimulationError);
    });

    it('unless a configured DRAIN_TIMEOUT cuts them off, which the report counts', () => {
      const longSessions = trace({ startPlayers: 35, session: { meanMinutes: 100, spread: 0.9 }, arrivals: [], durationMinutes: 120 });
      const { report } = simulate(longSessions, config({ DRAIN_TIMEOUT: '60' }));
      expect(report.playersCutOff).toBeGreaterThan(0);
    });
  });

  describe('models the earlier manager', () => {
    it('launching one server at a time and running no pass while it boots', () => {
      const seen: FleetSnapshot[] = [];
      const launchesPerPass: number[] = [];
      const watched: SimulatedPolicy = {
        ...LEGACY_POLICY,
        decide: (snapshot, settings) => {
          seen.push(snapshot);
          const actions = LEGACY_POLICY.decide(snapshot, settings);
          launchesPerPass.push(actions.reduce((n, a) => n + (a.kind === 'launch' ? a.count : 0), 0));
          return actions;
        },
      };
      const { report } = simulate(loadTrace('spike'), config({ UPSCALE_MARGIN: '30', DOWNSCALE_MARGIN: '45' }, { policy: watched }));
      expect(report.launches).toBeGreaterThan(5);
      expect(Math.max(...launchesPerPass)).toBe(1);
      expect(seen.every((snapshot) => snapshot.servers.every((s) => s.state !== 'launching'))).toBe(true);
    });

    it('while the current policy has several launches in flight when the margin needs them', () => {
      const env = { UPSCALE_MARGIN: '30', DOWNSCALE_MARGIN: '45' };
      const inFlight = (policy: SimulatedPolicy) => Math.max(...simulate(loadTrace('spike'), config(env, { policy })).timeline.map((s) => s.launching));
      expect(inFlight(LEGACY_POLICY)).toBe(1);
      expect(inFlight(CURRENT_POLICY)).toBeGreaterThan(1);
      expect(inFlight(CURRENT_POLICY)).toBeLessThanOrEqual(5);
    });
  });
});

describe('the settings the simulator reads', () => {
  it('are the manager’s defaults when none are given', () => {
    const expected: Partial<PolicySettings> = { upscaleMargin: 4, downscaleMargin: 18, serverCapacity: 10, minServers: 1, maxServers: 100, maxLaunchesInFlight: 20 };
    expect(DEFAULTS.settings).toMatchObject(expected);
    expect(DEFAULTS.sleepTimeSeconds).toBe(1);
  });
});
