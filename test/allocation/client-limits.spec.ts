import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ClientLimits } from '../../src/allocation/client-limits';
import { Settings } from '../../src/config/settings';
import { FleetRegistry } from '../../src/fleet/fleet.registry';
import { FleetMetrics } from '../../src/metrics/fleet-metrics';

function limitsOf(settings: Partial<Settings>) {
  const all = Object.assign(new Settings(), settings);
  const registry = new FleetRegistry(all);
  const metrics = new FleetMetrics(all);
  return { limits: new ClientLimits(all, registry, metrics), registry, metrics };
}
const limits = (perMinute: number) => limitsOf({ CLIENT_ALLOCATIONS_PER_MINUTE: perMinute }).limits;
const client = (address: string) => ({ address });
/** What admit passes on: undefined if admitted, else the seconds to wait. */
const admitted = (clientLimits: ClientLimits, key: { address: string }) => clientLimits.admit(key, (waitSeconds) => waitSeconds);
/** Lets the fire-and-forget log line settle. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));
afterEach(() => jest.restoreAllMocks());

describe('ClientLimits', () => {
  it('admits CLIENT_ALLOCATIONS_PER_MINUTE requests of a client a minute, then says how long to wait; other clients are not touched', async () => {
    const clientLimits = limits(3);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await admitted(clientLimits, client('198.51.100.1')));
    expect(answers.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    for (const wait of answers.slice(3)) {
      expect(wait).toBeGreaterThanOrEqual(59);
      expect(wait).toBeLessThanOrEqual(60);
    }
    expect(await admitted(clientLimits, client('198.51.100.2'))).toBeUndefined();
  });

  it('admits everything at 0', async () => {
    const clientLimits = limits(0);
    for (let i = 0; i < 1000; i++) expect(await admitted(clientLimits, client('198.51.100.1'))).toBeUndefined();
  });

  it('says a client is cut off once a minute, and ten clients a minute at most, however many refusals', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn');
    const clientLimits = limits(1);
    for (let i = 0; i < 50; i++) await admitted(clientLimits, client('198.51.100.1'));
    await flush();
    expect(warnings.mock.calls).toEqual([
      [
        { client: '198.51.100.1', limit: 'allocations_per_minute', retryAfterSeconds: expect.any(Number) },
        expect.stringMatching(/^client 198\.51\.100\.1 reached CLIENT_ALLOCATIONS_PER_MINUTE=1 places in a minute: answered 429 for \d+ s/),
      ],
    ]);
    for (let n = 2; n <= 30; n++) for (let i = 0; i < 3; i++) await admitted(clientLimits, client(`198.51.100.${n}`));
    await flush();
    expect(warnings).toHaveBeenCalledTimes(10);
  });
});

describe('ClientLimits: places held at once', () => {
  const T0 = 1_000_000;
  const holding = (held: number, oldestAt?: number) => ({ held, oldestAt });

  it.each<{ case: string; most: number; held: number; oldestAt?: number; now: number; expected: number | undefined }>([
    { case: 'under the limit: one more place', most: 3, held: 2, oldestAt: T0, now: T0, expected: undefined },
    { case: 'at the limit: wait until the oldest place times out (RESERVATION_TIMEOUT 15 s)', most: 3, held: 3, oldestAt: T0, now: T0 + 2_000, expected: 13 },
    { case: 'a part of a second counts as a whole one', most: 3, held: 3, oldestAt: T0, now: T0 + 2_001, expected: 13 },
    { case: 'never less than a second', most: 3, held: 3, oldestAt: T0, now: T0 + 14_999, expected: 1 },
    { case: 'over the limit (it was lowered) as at it', most: 3, held: 7, oldestAt: T0, now: T0, expected: 15 },
    { case: '0 sets no limit', most: 0, held: 1_000, oldestAt: T0, now: T0, expected: undefined },
  ])('$case', ({ most, held, oldestAt, now, expected }) => {
    const { limits: clientLimits } = limitsOf({ CLIENT_RESERVED_PLACES: most, RESERVATION_TIMEOUT: 15 });
    expect(clientLimits.overHeld(client('198.51.100.1'), holding(held, oldestAt), now)).toBe(expected);
  });

  it.each<{ case: string; most: number; id?: string; expected: boolean }>([
    { case: 'with a limit, every client\'s places are kept as its own', most: 50, expected: true },
    { case: 'without one, only those of a client that names itself (to give them again)', most: 0, id: 'alice', expected: true },
    { case: 'without one, an anonymous client costs nothing to remember', most: 0, expected: false },
  ])('$case', ({ most, id, expected }) => {
    expect(limitsOf({ CLIENT_RESERVED_PLACES: most }).limits.keepsHoldsOf({ address: '198.51.100.1', id })).toBe(expected);
  });

  it('says a client reached CLIENT_RESERVED_PLACES, once a minute', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn');
    const { limits: clientLimits } = limitsOf({ CLIENT_RESERVED_PLACES: 2 });
    for (let i = 0; i < 5; i++) clientLimits.overHeld(client('198.51.100.1'), holding(2, T0), T0);
    await flush();
    expect(warnings.mock.calls).toEqual([
      [
        { client: '198.51.100.1', limit: 'reserved_places', retryAfterSeconds: 15 },
        expect.stringMatching(/^client 198\.51\.100\.1 reached CLIENT_RESERVED_PLACES=2 places reserved and not yet taken: answered 429 for 15 s/),
      ],
    ]);
  });
});

describe('ClientLimits: the client nearest each limit, in /metrics', () => {
  const peaks = async (metrics: FleetMetrics) => {
    const lines = (await metrics.registry.metrics()).split('\n').filter((line) => line.startsWith('fleet_manager_client_limit_peak_ratio{'));
    return Object.fromEntries(lines.map((line) => [/limit="([a-z_]+)"/.exec(line)?.[1], Number(line.split(' ')[1])]));
  };

  it('shows the largest share of each limit any one address uses', async () => {
    const { limits: clientLimits, registry, metrics } = limitsOf({ CLIENT_ALLOCATIONS_PER_MINUTE: 10, CLIENT_RESERVED_PLACES: 4 });
    expect(await peaks(metrics)).toEqual({ allocations_per_minute: 0, reserved_places: 0 });
    for (let i = 0; i < 7; i++) await admitted(clientLimits, client('198.51.100.1'));
    for (let i = 0; i < 2; i++) await admitted(clientLimits, client('198.51.100.2'));
    registry.rebuild([{ id: 'a', address: 'a:7777', probeAddress: 'a:7777', version: 'v1', outdated: false, platformIds: {} }], Date.now());
    registry.recordProbe('a', { ok: true, report: { availableCapacity: 10, readyToClose: false } }, Date.now());
    for (let i = 0; i < 3; i++) registry.allocate(Date.now(), client('198.51.100.3'));
    registry.allocate(Date.now(), client('198.51.100.1'));
    expect(await peaks(metrics)).toEqual({ allocations_per_minute: 0.7, reserved_places: 0.75 });
  });

  it('a client at half the limit per minute counts, until its minute ends', async () => {
    const T0 = Date.parse('2026-12-02T12:00:00Z');
    jest.useFakeTimers({ now: T0 });
    try {
      const { limits: clientLimits, metrics } = limitsOf({ CLIENT_ALLOCATIONS_PER_MINUTE: 10 });
      for (let i = 0; i < 5; i++) await admitted(clientLimits, client('198.51.100.1'));
      expect(await peaks(metrics)).toMatchObject({ allocations_per_minute: 0.5 });
      jest.setSystemTime(T0 + 59_999);
      expect(await peaks(metrics)).toMatchObject({ allocations_per_minute: 0.5 });
      // The limiter starts the client's count afresh now: what it used is no longer near the limit.
      jest.setSystemTime(T0 + 60_000);
      expect(await peaks(metrics)).toMatchObject({ allocations_per_minute: 0 });
    } finally {
      jest.useRealTimers();
    }
  });

  it('forgets clients whose minute ended even if nobody scrapes /metrics', async () => {
    const T0 = Date.parse('2026-12-02T12:00:00Z');
    jest.useFakeTimers({ now: T0 });
    try {
      const { limits: clientLimits } = limitsOf({ CLIENT_ALLOCATIONS_PER_MINUTE: 2 });
      // The map behind the metric: nothing else shows how many addresses it keeps.
      const remembered = () => (clientLimits as unknown as { nearPerMinute: Map<string, unknown> }).nearPerMinute.size;
      for (let minute = 0; minute < 5; minute++) {
        jest.setSystemTime(T0 + minute * 61_000);
        for (let n = 0; n < 100; n++) await admitted(clientLimits, client(`198.51.${minute}.${n}`));
      }
      expect(remembered()).toBe(100);
    } finally {
      jest.useRealTimers();
    }
  });

  it('without a limit of places held, that share is 0', async () => {
    const { registry, metrics } = limitsOf({ CLIENT_RESERVED_PLACES: 0 });
    registry.rebuild([{ id: 'a', address: 'a:7777', probeAddress: 'a:7777', version: 'v1', outdated: false, platformIds: {} }], Date.now());
    registry.recordProbe('a', { ok: true, report: { availableCapacity: 10, readyToClose: false } }, Date.now());
    registry.allocate(Date.now(), { address: '198.51.100.1', id: 'alice' });
    expect(await peaks(metrics)).toMatchObject({ reserved_places: 0 });
  });

  it('a client cut off shows as 1, and clients below half the limit per minute are not remembered', async () => {
    const { limits: clientLimits, metrics } = limitsOf({ CLIENT_ALLOCATIONS_PER_MINUTE: 10 });
    for (let i = 0; i < 4; i++) await admitted(clientLimits, client('198.51.100.1'));
    expect(await peaks(metrics)).toMatchObject({ allocations_per_minute: 0 });
    for (let i = 0; i < 20; i++) await admitted(clientLimits, client('198.51.100.2'));
    expect(await peaks(metrics)).toMatchObject({ allocations_per_minute: 1 });
  });
});
