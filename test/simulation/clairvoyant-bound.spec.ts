import { DemandCurve } from '../../src/simulation/clairvoyant-bound';
import { combineReports } from '../../src/simulation/combined-report';
import { Demand, MINUTE_MS } from '../../src/simulation/demand';
import { cheapestFixedMargin } from '../../src/simulation/margin-search';
import { ECS_EC2_BOOT } from '../../src/simulation/simulation';
import { SimulationReport } from '../../src/simulation/simulation-report';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonTrace } from '../../src/simulation/trace';
import { compareOnTrace } from '../../src/simulation/comparison';
import { CURRENT_POLICY } from '../../src/simulation/scaling-policies';

const HOUR_MS = 60 * MINUTE_MS;
const player = (arriveAt: number, sessionMs: number) => ({ arriveAt, sessionMs });

describe('the clairvoyant bound: ceil(players / SERVER_CAPACITY) servers at every moment', () => {
  it.each<{ case: string; demand: Demand; capacity: number; endAt: number; hours: number }>([
    { case: 'nobody: nothing', demand: { arrivals: [], startPlayersRemainingMs: [] }, capacity: 10, endAt: HOUR_MS, hours: 0 },
    { case: 'one player for half an hour: one server for half an hour', demand: { arrivals: [player(0, HOUR_MS / 2)], startPlayersRemainingMs: [] }, capacity: 10, endAt: HOUR_MS, hours: 0.5 },
    {
      case: 'eleven players for an hour need two servers of ten',
      demand: { arrivals: Array.from({ length: 11 }, () => player(0, HOUR_MS)), startPlayersRemainingMs: [] },
      capacity: 10,
      endAt: HOUR_MS,
      hours: 2,
    },
    {
      case: 'players one after the other share one server',
      demand: { arrivals: [player(0, HOUR_MS / 2), player(HOUR_MS / 2, HOUR_MS / 2)], startPlayersRemainingMs: [] },
      capacity: 1,
      endAt: HOUR_MS,
      hours: 1,
    },
    { case: 'players already playing at the start count until they leave', demand: { arrivals: [], startPlayersRemainingMs: [HOUR_MS / 4, HOUR_MS] }, capacity: 1, endAt: HOUR_MS, hours: 1.25 },
    { case: 'a session past the end counts up to the end', demand: { arrivals: [player(HOUR_MS / 2, 10 * HOUR_MS)], startPlayersRemainingMs: [] }, capacity: 10, endAt: HOUR_MS, hours: 0.5 },
  ])('$case', ({ demand, capacity, endAt, hours }) => {
    expect(new DemandCurve(demand).boundServerHours(capacity, endAt)).toBeCloseTo(hours, 9);
  });

  it('knows the players at any moment, every change at that moment included', () => {
    const curve = new DemandCurve({ arrivals: [player(1_000, 2_000), player(2_000, 1_000)], startPlayersRemainingMs: [1_000] });
    expect([0, 999, 1_000, 2_000, 2_999, 3_000, 10_000].map((at) => curve.playersAt(at))).toEqual([1, 1, 1, 2, 2, 0, 0]);
  });

  it('is below what any configuration pays on the same players, and the same for all of them', () => {
    const trace = parseJsonTrace(JSON.stringify({ segments: [{ minutes: 60, from: 1, to: 8 }], session: { meanMinutes: 20, spread: 0.5 }, durationMinutes: 90 }), 'ramp');
    const rows = compareOnTrace(
      trace,
      [
        { label: 'fixed', policy: CURRENT_POLICY, env: {} },
        { label: 'adaptive', policy: CURRENT_POLICY, env: { MARGIN_MODE: 'adaptive' } },
      ],
      { env: {}, boot: ECS_EC2_BOOT, seeds: [1, 2] },
    );
    expect(rows[0].report.boundServerHours).toBeGreaterThan(0);
    expect(rows[1].report.boundServerHours).toBe(rows[0].report.boundServerHours);
    for (const { report } of rows) expect(report.serverHours).toBeGreaterThan(report.boundServerHours);
  });
});

describe('combineReports: one configuration over several seeds', () => {
  const report = (fields: Partial<SimulationReport>): SimulationReport => ({
    trace: 't', policy: 'current', marginMode: 'fixed', seed: 1, simulatedHours: 1, players: 10, failedAllocations: 1, idlePlaceHours: 1, serverHours: 2, boundServerHours: 1,
    launches: 1, drains: 1, reactivations: 0, stops: 1, launchTimeouts: 0, playersCutOff: 0, shortfalls: 1, shortfallMeanSeconds: 10,
    shortfallMaxSeconds: 10, peakPlayers: 5, peakServers: 2, passes: 100, ...fields,
  });

  it('adds counts and hours, keeps the highest peaks, and weighs the mean time back at the margin by the shortfalls', () => {
    const combined = combineReports([report({}), report({ seed: 2, players: 20, serverHours: 3, shortfalls: 3, shortfallMeanSeconds: 30, shortfallMaxSeconds: 50, peakServers: 7 })]);
    expect(combined).toMatchObject({ seed: 1, players: 30, failedAllocations: 2, serverHours: 5, boundServerHours: 2, shortfalls: 4, shortfallMeanSeconds: 25, shortfallMaxSeconds: 50, peakServers: 7, passes: 200 });
  });

  it('has no mean time back at the margin without shortfalls, and refuses no reports', () => {
    expect(combineReports([report({ shortfalls: 0, shortfallMeanSeconds: 0 })]).shortfallMeanSeconds).toBe(0);
    expect(() => combineReports([])).toThrow(RangeError);
  });
});

describe('cheapestFixedMargin: what a user would have to find by hand', () => {
  const trace = parseJsonTrace(
    JSON.stringify({ segments: [{ minutes: 20, rate: 1 }, { minutes: 2, rate: 15 }, { minutes: 30, rate: 1 }], session: { meanMinutes: 20, spread: 0.3 } }),
    'burst',
  );
  const base = { env: {}, boot: ECS_EC2_BOOT, seeds: [1] };

  it('finds margins that fail no more players, and no good pair of its gap up to a server above the smallest good one costs less', () => {
    const found = cheapestFixedMargin(trace, base, 0)!;
    expect(found.report.failedAllocations).toBe(0);
    const gap = found.downscaleMargin - found.upscaleMargin;
    const margins = Array.from({ length: found.upscaleMargin + 11 }, (_, margin) => margin);
    const rows = compareOnTrace(
      trace,
      margins.map((margin) => ({ label: String(margin), policy: CURRENT_POLICY, env: { UPSCALE_MARGIN: String(margin), DOWNSCALE_MARGIN: String(margin + gap) } })),
      base,
    );
    const good = rows.filter((row) => row.report.failedAllocations === 0);
    const smallestGood = Number(good[0].label);
    expect(smallestGood).toBeGreaterThan(0);
    const cheaper = good.filter((row) => Number(row.label) <= smallestGood + 10 && row.report.serverHours < found.report.serverHours).map((row) => row.label);
    expect(cheaper).toEqual([]);
  });

  it('looks above the smallest good margin: on slow-drain (seed 1) a higher one costs less', () => {
    const slowDrain = parseJsonTrace(readFileSync(join(__dirname, '../../traces/slow-drain.json'), 'utf8'), 'slow-drain');
    const found = cheapestFixedMargin(slowDrain, base, 0)!;
    const gap = found.downscaleMargin - found.upscaleMargin;
    const [below] = compareOnTrace(slowDrain, [{ label: 'below', policy: CURRENT_POLICY, env: { UPSCALE_MARGIN: String(found.upscaleMargin - 1), DOWNSCALE_MARGIN: String(found.downscaleMargin - 1) } }], base);
    expect(below.report.failedAllocations).toBe(0);
    expect(below.report.serverHours).toBeGreaterThan(found.report.serverHours);
    expect(gap).toBeGreaterThan(0);
  });

  it('allows more failures for less: a looser target never costs more', () => {
    const strict = cheapestFixedMargin(trace, base, 0)!;
    const loose = cheapestFixedMargin(trace, base, 10)!;
    expect(loose.report.failedAllocations).toBeLessThanOrEqual(10);
    expect(loose.report.serverHours).toBeLessThanOrEqual(strict.report.serverHours);
  });
});
