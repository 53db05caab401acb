import { Settings } from '../../src/config/settings';
import { FleetRegistry } from '../../src/fleet/fleet.registry';

const T0 = 1_000_000;

/** A registry of ready servers "a", "b", ... with the free places given, as probed at T0. */
function fleetWith(free: Record<string, number>): FleetRegistry {
  const registry = new FleetRegistry({ RESERVATION_TIMEOUT: 60 } as Settings);
  registry.rebuild(
    Object.keys(free).map((id) => ({ id, address: `${id}:7777`, probeAddress: `${id}:7777`, version: 'v1', outdated: false, platformIds: {} })),
    T0,
  );
  for (const [id, capacity] of Object.entries(free)) probe(registry, id, capacity, T0);
  return registry;
}

function probe(registry: FleetRegistry, id: string, availableCapacity: number, now: number): void {
  registry.recordProbe(id, { ok: true, report: { availableCapacity, readyToClose: false } }, now);
}

/** The servers `count` allocations at `now` go to, in order ('-' for none). */
function allocations(registry: FleetRegistry, count: number, now = T0): string[] {
  return Array.from({ length: count }, () => registry.allocate(now).allocation?.serverId ?? '-');
}

describe('FleetRegistry.allocate', () => {
  it.each<{ case: string; free: Record<string, number>; count: number; expected: string[] }>([
    { case: 'fills the fullest server that has room first', free: { a: 5, b: 2, c: 9 }, count: 4, expected: ['b', 'b', 'a', 'a'] },
    { case: 'skips full servers', free: { a: 0, b: 1 }, count: 2, expected: ['b', '-'] },
    { case: 'hands out no more places than the fleet reported', free: { a: 1, b: 1 }, count: 3, expected: ['a', 'b', '-'] },
    { case: 'an empty fleet turns every player away', free: {}, count: 2, expected: ['-', '-'] },
  ])('$case', ({ free, count, expected }) => {
    expect(allocations(fleetWith(free), count)).toEqual(expected);
  });

  it('answers the free places left and counts the players turned away', () => {
    const registry = fleetWith({ a: 2, b: 1 });
    expect(registry.allocate(T0)).toMatchObject({ freeLeft: 2, launching: 0 });
    allocations(registry, 2);
    expect(registry.allocate(T0)).toEqual({ freeLeft: 0, launching: 0 });
    expect(registry.takeUnmetDemand()).toBe(1);
  });

  it('gives a full fleet the room a probe reports at once, not after the next scan', () => {
    const registry = fleetWith({ a: 1 });
    expect(allocations(registry, 2)).toEqual(['a', '-']);
    probe(registry, 'a', 3, T0 + 1);
    expect(allocations(registry, 1, T0 + 1)).toEqual(['a']);
  });

  it('stops handing out a server the moment it drains, fails or is removed', () => {
    const registry = fleetWith({ a: 5, b: 9 });
    expect(allocations(registry, 1)).toEqual(['a']);
    registry.setDraining('a', true, T0);
    expect(allocations(registry, 1)).toEqual(['b']);
    registry.recordProbe('b', { ok: false, error: 'timeout' }, T0 + 1);
    expect(allocations(registry, 1, T0 + 1)).toEqual(['-']);
    registry.setDraining('a', false, T0 + 2);
    registry.remove('a');
    expect(allocations(registry, 1, T0 + 2)).toEqual(['-']);
  });

  it('moves to a server that became fuller by the rescan 100 ms later', () => {
    const registry = fleetWith({ a: 5, b: 9 });
    expect(allocations(registry, 1)).toEqual(['a']);
    // Players joined b on their own: b is now the fullest server with room.
    probe(registry, 'b', 2, T0 + 10);
    expect(allocations(registry, 1, T0 + 100)).toEqual(['b']);
  });
});

describe('FleetRegistry.rebuild: servers the platform runs are adopted as running, not as launches', () => {
  const HOUR = 3_600_000;
  const adopted = (drainingSince?: number) => {
    const registry = new FleetRegistry({ RESERVATION_TIMEOUT: 60 } as Settings);
    registry.rebuild([{ id: 'a', address: 'a:7777', probeAddress: 'a:7777', drainingSince, version: 'v1', outdated: false, platformIds: {} }], T0);
    return registry;
  };

  it('before its first probe: ready with no place to offer, possibly with players, healthy as of the adoption', () => {
    expect(adopted().snapshot(T0)).toEqual([
      expect.objectContaining({ id: 'a', state: 'ready', free: 0, readyToClose: false, consecutiveFailures: 0, lastHealthyAt: T0 }),
    ]);
    expect(adopted().allocate(T0).allocation).toBeUndefined();
    expect(adopted().acceptingAddresses()).toEqual([]);
  });

  it('a failed probe counts against it at once, as for any running server', () => {
    const registry = adopted();
    expect(registry.recordProbe('a', { ok: false, error: 'ECONNREFUSED' }, T0 + 1)).toEqual({ from: 'ready', to: 'unhealthy' });
    expect(registry.snapshot(T0 + 1)[0]).toMatchObject({ state: 'unhealthy', consecutiveFailures: 1 });
  });

  it('a good probe gives it its room, and lists it among the servers that take players', () => {
    const registry = adopted();
    probe(registry, 'a', 7, T0 + 1);
    expect(registry.snapshot(T0 + 1)[0]).toMatchObject({ state: 'ready', free: 7 });
    expect(registry.acceptingAddresses()).toEqual(['a:7777']);
  });

  it('a draining server keeps the time its draining began', () => {
    expect(adopted(T0 - HOUR).snapshot(T0)[0]).toMatchObject({ state: 'draining', drainingSince: T0 - HOUR });
  });
});

describe('FleetRegistry.resync: the fleet aligned with what the platform runs now', () => {
  const at = (id: string) => ({ id, address: `${id}:7777`, probeAddress: `${id}:7777`, version: 'v1', outdated: false, platformIds: {} });
  /** The platform's answer: these run and can be adopted; `running` (null: unknown) says all that runs, by default just these. */
  const listing = (ids: string[], running: string[] | null = ids) => ({ servers: ids.map(at), running: running === null ? undefined : new Set(running) });
  /** a and b running, c launching (not placed yet), d being stopped. */
  function fleet(): FleetRegistry {
    const registry = new FleetRegistry({ RESERVATION_TIMEOUT: 60 } as Settings);
    registry.rebuild([at('a'), at('b'), at('d')], T0);
    registry.addLaunching('c', T0);
    registry.setStopping('d', true);
    return registry;
  }

  it.each<{ case: string; found: ReturnType<typeof listing>; expected: { gone: string[]; adopted: string[] }; left: string[] }>([
    { case: 'nothing changed', found: listing(['a', 'b', 'd']), expected: { gone: [], adopted: [] }, left: ['a', 'b', 'c', 'd'] },
    { case: 'a server stopped by someone else leaves', found: listing(['b', 'd']), expected: { gone: ['a'], adopted: [] }, left: ['b', 'c', 'd'] },
    { case: 'a server started by someone else is adopted', found: listing(['a', 'b', 'd', 'e']), expected: { gone: [], adopted: ['e'] }, left: ['a', 'b', 'c', 'd', 'e'] },
    { case: "a launch in flight and a server being stopped are the reconciler's: left alone", found: listing(['a', 'b']), expected: { gone: [], adopted: [] }, left: ['a', 'b', 'c', 'd'] },
    { case: 'a server that still runs but has no address now is not gone', found: listing(['b'], ['a', 'b']), expected: { gone: [], adopted: [] }, left: ['a', 'b', 'c', 'd'] },
    { case: 'an incomplete listing (the platform missed some) makes nothing gone', found: listing(['b'], null), expected: { gone: [], adopted: [] }, left: ['a', 'b', 'c', 'd'] },
  ])('$case', ({ found, expected, left }) => {
    const registry = fleet();
    const before = registry.beginResync();
    expect(registry.resync(found, before, T0 + 2)).toEqual(expected);
    expect(registry.all().map((s) => s.id).sort()).toEqual(left);
  });

  it('a server that became established while the platform answered is not taken for gone', () => {
    const registry = fleet();
    const before = registry.beginResync();
    probe(registry, 'c', 10, T0 + 2);
    expect(registry.resync(listing(['a', 'b', 'd']), before, T0 + 3).gone).toEqual([]);
    expect(registry.get('c')).toBeDefined();
  });

  it('a server removed while the platform answered is not adopted again from its answer', () => {
    const registry = fleet();
    const before = registry.beginResync();
    registry.remove('d');
    expect(registry.resync(listing(['a', 'b', 'd']), before, T0 + 3).adopted).toEqual([]);
    expect(registry.get('d')).toBeUndefined();
  });

  it('a known server learns that launches now use another version (a revision registered since)', () => {
    const registry = fleet();
    const found = listing(['a', 'b', 'd']);
    registry.resync({ ...found, servers: found.servers.map((server) => (server.id === 'a' ? { ...server, outdated: true } : server)) }, registry.beginResync(), T0 + 2);
    expect(registry.snapshot(T0 + 2).find((s) => s.id === 'a')?.outdated).toBe(true);
    expect(registry.snapshot(T0 + 2).find((s) => s.id === 'b')?.outdated).toBe(false);
  });

  it('an adopted server is running, probed from then on, as at start-up', () => {
    const registry = fleet();
    registry.resync(listing(['a', 'b', 'd', 'e']), registry.beginResync(), T0 + 2);
    expect(registry.snapshot(T0 + 2).find((s) => s.id === 'e')).toMatchObject({ state: 'ready', free: 0, readyToClose: false, lastHealthyAt: T0 + 2 });
  });
});

describe('FleetRegistry: places handed out are released as the reports show their players arrive', () => {
  it.each<{ case: string; reported: number; handedOut: number; nextReport: number; reserved: number; free: number }>([
    { case: 'two of three players arrived: one place stays reserved', reported: 5, handedOut: 3, nextReport: 3, reserved: 1, free: 2 },
    { case: 'all three arrived: nothing stays reserved', reported: 5, handedOut: 3, nextReport: 2, reserved: 0, free: 2 },
    { case: 'nobody arrived yet: every place stays reserved', reported: 5, handedOut: 3, nextReport: 5, reserved: 3, free: 2 },
    { case: 'players left meanwhile (capacity rose): nothing is released', reported: 5, handedOut: 2, nextReport: 7, reserved: 2, free: 5 },
    { case: 'more arrived than were handed out (some joined on their own): every reservation released', reported: 5, handedOut: 1, nextReport: 2, reserved: 0, free: 2 },
  ])('$case', ({ reported, handedOut, nextReport, reserved, free }) => {
    const registry = fleetWith({ a: reported });
    expect(allocations(registry, handedOut)).toEqual(Array(handedOut).fill('a'));
    probe(registry, 'a', nextReport, T0 + 1_000);
    const server = registry.get('a')!;
    expect(server.reservations).toHaveLength(reserved);
    expect(registry.freeOf(server, T0 + 1_000)).toBe(free);
  });
});
