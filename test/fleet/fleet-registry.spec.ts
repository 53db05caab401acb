import { Settings } from '../../src/config/settings';
import { FleetRegistry } from '../../src/fleet/fleet.registry';
import { ClientKey } from '../../src/domain/client-key';

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

  it('answers the free places left and counts the places handed out and the players turned away, until taken', () => {
    const registry = fleetWith({ a: 2, b: 1 });
    expect(registry.allocate(T0)).toMatchObject({ freeLeft: 2, launching: 0 });
    allocations(registry, 2);
    expect(registry.allocate(T0)).toEqual({ freeLeft: 0, launching: 0 });
    expect(registry.takeDemand()).toEqual({ handedOut: 3, waitsServed: 0, turnedAway: 1, unmet: 1 });
    expect(registry.takeDemand()).toEqual({ handedOut: 0, waitsServed: 0, turnedAway: 0, unmet: 0 });
  });

  describe('counts the players turned away, not their tries', () => {
    const alice = { address: '198.51.100.1', id: 'alice' };
    const bob = { address: '198.51.100.1', id: 'bob' };
    const anonymous = { address: '198.51.100.1' };
    it.each<{ case: string; asks: (ClientKey | undefined)[]; turnedAway: number }>([
      { case: 'a client that names itself and asks ten times while it waits is one player', asks: Array<ClientKey>(10).fill(alice), turnedAway: 1 },
      { case: 'two clients that name themselves, at one address, are two', asks: [alice, bob, alice, bob], turnedAway: 2 },
      { case: 'a client without an id cannot be told from its neighbours behind a NAT: each try counts', asks: [anonymous, anonymous, anonymous], turnedAway: 3 },
      { case: 'nor can a request with no client at all', asks: [undefined, undefined], turnedAway: 2 },
    ])('$case', ({ asks, turnedAway }) => {
      const registry = fleetWith({ a: 0 });
      for (const client of asks) registry.allocate(T0, client);
      expect(registry.takeDemand()).toEqual({ handedOut: 0, waitsServed: 0, turnedAway, unmet: turnedAway });
    });

    it('a client still waiting at the next pass is no new demand, but unmet again, so that a failed launch is launched again', () => {
      const registry = fleetWith({ a: 0 });
      registry.allocate(T0, alice);
      registry.allocate(T0 + 10, alice);
      expect(registry.takeDemand()).toEqual({ handedOut: 0, waitsServed: 0, turnedAway: 1, unmet: 1 });
      registry.allocate(T0 + 1000, alice);
      registry.allocate(T0 + 1010, alice);
      expect(registry.takeDemand()).toEqual({ handedOut: 0, waitsServed: 0, turnedAway: 0, unmet: 1 });
      expect(registry.takeDemand()).toEqual({ handedOut: 0, waitsServed: 0, turnedAway: 0, unmet: 0 });
    });

    it('once it got a place, its wait was served (already counted), and its next refusal is its next game: new demand again', () => {
      const registry = fleetWith({ a: 0 });
      registry.allocate(T0, alice);
      probe(registry, 'a', 1, T0 + 2000);
      expect(registry.allocate(T0 + 2000, alice).allocation?.serverId).toBe('a');
      // Her player took the place (the report shows it); her next request is for her next game.
      probe(registry, 'a', 0, T0 + 4000);
      registry.allocate(T0 + 4000, alice);
      expect(registry.takeDemand()).toEqual({ handedOut: 1, waitsServed: 1, turnedAway: 2, unmet: 2 });
    });
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
    expect(server.reservations.length).toBe(reserved);
    expect(registry.freeOf(server, T0 + 1_000)).toBe(free);
  });
});

const TIMEOUT_MS = 60_000;
const platformServer = (id: string, extra: { drainingSince?: number; outdated?: boolean } = {}) => ({
  id,
  address: `${id}:7777`,
  probeAddress: `${id}:7778`,
  version: 'v1',
  outdated: false,
  platformIds: {},
  ...extra,
});
const failed = { ok: false, error: 'ECONNREFUSED' } as const;

/**
 * One server in each state, all probed at T0: ready "r", draining "dr", unhealthy "u", stopping "s",
 * a launch the platform has placed "lp" and one it has not "l".
 */
function everyState(): FleetRegistry {
  const registry = fleetWith({ r: 3, dr: 4, u: 5, s: 6 });
  registry.setDraining('dr', true, T0);
  registry.recordProbe('u', failed, T0);
  registry.setStopping('s', true);
  registry.addLaunching('lp', T0);
  registry.placed(platformServer('lp'));
  registry.addLaunching('l', T0);
  return registry;
}

describe('FleetRegistry: states and what each state is offered for', () => {
  it('the state of each server, and undefined for one it does not know', () => {
    const registry = everyState();
    expect(['r', 'dr', 'u', 's', 'lp', 'l', 'zz'].map((id) => registry.stateOf(id))).toEqual([
      'ready',
      'draining',
      'unhealthy',
      'stopping',
      'launching',
      'launching',
      undefined,
    ]);
    expect(registry.size).toBe(6);
  });

  it('probes every server with an address that is not being stopped, at its probe address', () => {
    expect(
      everyState()
        .probeTargets()
        .map((s) => `${s.id}@${s.probeAddress}`)
        .sort(),
    ).toEqual(['dr@dr:7777', 'lp@lp:7778', 'r@r:7777', 'u@u:7777']);
  });

  it('lists only the ready servers among those that take players', () => {
    expect(everyState().acceptingAddresses()).toEqual(['r:7777']);
  });

  it('counts the launches under way, placed or not, in what allocation answers', () => {
    expect(everyState().allocate(T0)).toEqual({ allocation: { serverId: 'r', address: 'r:7777' }, freeLeft: 2, launching: 2 });
  });

  it('a launch is not draining nor outdated until a probe or the platform says so', () => {
    const registry = new FleetRegistry({ RESERVATION_TIMEOUT: 60 } as Settings);
    registry.addLaunching('l', T0);
    expect(registry.snapshot(T0)).toEqual([
      expect.objectContaining({ id: 'l', state: 'launching', free: 0, reserved: 0, launchedAt: T0, outdated: false, drainingSince: undefined }),
    ]);
    registry.placed(platformServer('l', { outdated: true }));
    expect(registry.snapshot(T0)[0].outdated).toBe(true);
  });

  it('isRebuilt only once the fleet was rebuilt from the platform, even as empty', () => {
    const registry = new FleetRegistry({ RESERVATION_TIMEOUT: 60 } as Settings);
    registry.addLaunching('l', T0);
    expect(registry.isRebuilt).toBe(false);
    registry.rebuild([], T0);
    expect(registry.isRebuilt).toBe(true);
  });

  it('a rebuild replaces the whole fleet, launches included', () => {
    const registry = everyState();
    registry.rebuild([platformServer('n')], T0 + 1);
    expect(registry.all().map((s) => s.id)).toEqual(['n']);
  });

  it.each<{ case: string; act: (registry: FleetRegistry) => unknown }>([
    { case: 'setStopping', act: (r) => r.setStopping('zz', true) },
    { case: 'setDraining', act: (r) => r.setDraining('zz', true, T0) },
    { case: 'recordProbe (good)', act: (r) => r.recordProbe('zz', { ok: true, report: { availableCapacity: 3, readyToClose: false } }, T0) },
    { case: 'recordProbe (failed)', act: (r) => r.recordProbe('zz', failed, T0) },
    { case: 'placed', act: (r) => r.placed(platformServer('zz')) },
  ])('$case of a server it does not know (gone meanwhile) changes nothing', ({ act }) => {
    const registry = everyState();
    const before = registry.snapshot(T0);
    expect(act(registry)).toBeUndefined();
    expect(registry.snapshot(T0)).toEqual(before);
  });
});

describe('FleetRegistry.recordProbe: the state change a probe causes', () => {
  it.each<{ case: string; id: string; ok: boolean; change?: { from: string; to: string }; failures: number }>([
    { case: 'a ready server answering stays ready', id: 'r', ok: true, change: undefined, failures: 0 },
    { case: 'a ready server failing becomes unhealthy', id: 'r', ok: false, change: { from: 'ready', to: 'unhealthy' }, failures: 1 },
    { case: 'an unhealthy server failing again stays unhealthy', id: 'u', ok: false, change: undefined, failures: 2 },
    { case: 'an unhealthy server answering is ready again', id: 'u', ok: true, change: { from: 'unhealthy', to: 'ready' }, failures: 0 },
    { case: 'a draining server answering stays draining', id: 'dr', ok: true, change: undefined, failures: 0 },
    { case: 'a draining server failing becomes unhealthy', id: 'dr', ok: false, change: { from: 'draining', to: 'unhealthy' }, failures: 1 },
    { case: 'a launch answering is ready (not draining)', id: 'lp', ok: true, change: { from: 'launching', to: 'ready' }, failures: 0 },
    // Its launch timeout covers a launch that does not answer yet.
    { case: 'a launch not answering yet is not failing', id: 'lp', ok: false, change: undefined, failures: 0 },
  ])('$case', ({ id, ok, change, failures }) => {
    const registry = everyState();
    const result = ok ? { ok: true as const, report: { availableCapacity: 4, readyToClose: false } } : failed;
    expect(registry.recordProbe(id, result, T0 + 1)).toEqual(change);
    expect(registry.snapshot(T0 + 1).find((s) => s.id === id)?.consecutiveFailures).toBe(failures);
  });

  // The probe never left the manager (its descriptors ran out): nothing is known of the server.
  it.each(['r', 'u', 'dr', 'lp'])('a probe never sent changes nothing of "%s": not its state, nor its failures', (id) => {
    const registry = everyState();
    const before = registry.snapshot(T0 + 1).find((s) => s.id === id);
    expect(registry.recordProbe(id, { ok: false, error: 'EMFILE: too many open files', unsent: true }, T0 + 1)).toBeUndefined();
    expect(registry.snapshot(T0 + 1).find((s) => s.id === id)).toEqual(before);
  });

  it('a launch that answers takes players at once', () => {
    const registry = everyState();
    probe(registry, 'lp', 1, T0 + 1);
    expect(registry.acceptingAddresses().sort()).toEqual(['lp:7777', 'r:7777']);
    expect(allocations(registry, 2, T0 + 1)).toEqual(['lp', 'r']);
  });
});

describe('FleetRegistry.setDraining: when draining began', () => {
  it('keeps the time draining began across repeated calls, and forgets it when draining ends', () => {
    const registry = fleetWith({ a: 5 });
    registry.setDraining('a', true, T0 + 5);
    expect(registry.snapshot(T0 + 5)[0]).toMatchObject({ state: 'draining', drainingSince: T0 + 5 });
    registry.setDraining('a', true, T0 + 9);
    expect(registry.snapshot(T0 + 9)[0]).toMatchObject({ state: 'draining', drainingSince: T0 + 5 });
    registry.setDraining('a', false, T0 + 12);
    expect(registry.snapshot(T0 + 12)[0]).toMatchObject({ state: 'ready', drainingSince: undefined });
  });
});

describe('FleetRegistry: places handed out that no player took time out after RESERVATION_TIMEOUT', () => {
  it.each<{ case: string; handedOutAt: number[]; now: number; reserved: number; free: number }>([
    { case: 'just before the timeout: still reserved', handedOutAt: [T0, T0], now: T0 + TIMEOUT_MS - 1, reserved: 2, free: 3 },
    { case: 'at the timeout: free again', handedOutAt: [T0, T0], now: T0 + TIMEOUT_MS, reserved: 0, free: 5 },
    { case: 'only the places handed out long enough ago', handedOutAt: [T0, T0 + 1, T0 + 30_000], now: T0 + TIMEOUT_MS + 1, reserved: 1, free: 4 },
    { case: 'none yet', handedOutAt: [T0 + 10, T0 + 20], now: T0 + TIMEOUT_MS, reserved: 2, free: 3 },
  ])('$case', ({ handedOutAt, now, reserved, free }) => {
    const registry = fleetWith({ a: 5 });
    for (const at of handedOutAt) expect(registry.allocate(at).allocation?.serverId).toBe('a');
    expect(registry.snapshot(now)[0]).toMatchObject({ reserved, free });
  });

  it('a full server offers the places again once they time out', () => {
    const registry = fleetWith({ a: 1 });
    expect(allocations(registry, 2, T0)).toEqual(['a', '-']);
    // A scan that found no room serves RESCAN_MS (100 ms): ask 100 ms apart.
    expect(allocations(registry, 1, T0 + TIMEOUT_MS - 100)).toEqual(['-']);
    expect(registry.allocate(T0 + TIMEOUT_MS)).toEqual({ allocation: { serverId: 'a', address: 'a:7777' }, freeLeft: 0, launching: 0 });
  });

  it('a report releases the places of arrived players after those that timed out', () => {
    const registry = fleetWith({ a: 5 });
    allocations(registry, 2, T0);
    allocations(registry, 1, T0 + 50_000);
    // The two oldest timed out; one player arrived: the one given the latest place.
    probe(registry, 'a', 4, T0 + TIMEOUT_MS + 1);
    expect(registry.snapshot(T0 + TIMEOUT_MS + 1)[0]).toMatchObject({ reserved: 0, free: 4 });
  });
});

describe('FleetRegistry.allocate answers what changed in the fleet at once, not at the next rescan', () => {
  it.each<{ case: string; setup: (r: FleetRegistry) => void; act: (r: FleetRegistry) => void; before: object; after: object }>([
    {
      case: 'a launch begins',
      setup: () => {},
      act: (r) => r.addLaunching('l', T0),
      before: { freeLeft: 0, launching: 0 },
      after: { freeLeft: 0, launching: 1, firstLaunchedAt: T0 },
    },
    {
      case: 'a later launch begins: the first one still says when the first is due',
      setup: (r) => r.addLaunching('l', T0),
      act: (r) => r.addLaunching('m', T0 + 5_000),
      before: { freeLeft: 0, launching: 1, firstLaunchedAt: T0 },
      after: { freeLeft: 0, launching: 2, firstLaunchedAt: T0 },
    },
    {
      case: 'a launch is removed',
      setup: (r) => r.addLaunching('l', T0),
      act: (r) => r.remove('l'),
      before: { freeLeft: 0, launching: 1, firstLaunchedAt: T0 },
      after: { freeLeft: 0, launching: 0 },
    },
    {
      case: 'a launch is being stopped',
      setup: (r) => r.addLaunching('l', T0),
      act: (r) => r.setStopping('l', true),
      before: { freeLeft: 0, launching: 1, firstLaunchedAt: T0 },
      after: { freeLeft: 0, launching: 0 },
    },
    {
      case: 'a rebuild finds none of the launches',
      setup: (r) => r.addLaunching('l', T0),
      act: (r) => r.rebuild([], T0),
      before: { freeLeft: 0, launching: 1, firstLaunchedAt: T0 },
      after: { freeLeft: 0, launching: 0 },
    },
    {
      case: 'a draining server is taken back',
      setup: (r) => {
        probe(r, 'a', 5, T0);
        r.setDraining('a', true, T0);
      },
      act: (r) => r.setDraining('a', false, T0),
      before: { freeLeft: 0, launching: 0 },
      after: { allocation: { serverId: 'a', address: 'a:7777' }, freeLeft: 4, launching: 0 },
    },
  ])('$case', ({ setup, act, before, after }) => {
    const registry = new FleetRegistry({ RESERVATION_TIMEOUT: 60 } as Settings);
    registry.rebuild([platformServer('a')], T0);
    setup(registry);
    expect(registry.allocate(T0)).toEqual(before);
    act(registry);
    expect(registry.allocate(T0)).toEqual(after);
  });

  it('the free places left no longer count a server a resync found gone', () => {
    const registry = fleetWith({ a: 5, b: 9 });
    expect(registry.allocate(T0)).toMatchObject({ allocation: { serverId: 'a' }, freeLeft: 13 });
    registry.resync({ servers: [platformServer('a')], running: new Set(['a']) }, registry.beginResync(), T0);
    expect(registry.allocate(T0)).toMatchObject({ allocation: { serverId: 'a' }, freeLeft: 3 });
  });
});

describe('FleetRegistry.resync: changes while the platform answered', () => {
  const listing = (ids: string[]) => ({ servers: ids.map((id) => platformServer(id)), running: new Set(ids) });

  it.each<{ case: string; meanwhile: (r: FleetRegistry) => void; left: string[] }>([
    { case: 'a server removed meanwhile is not reported gone again', meanwhile: (r) => r.remove('a'), left: ['b'] },
    { case: "a server being stopped meanwhile is the reconciler's, not gone", meanwhile: (r) => r.setStopping('a', true), left: ['a', 'b'] },
  ])('$case', ({ meanwhile, left }) => {
    const registry = fleetWith({ a: 5, b: 5 });
    const before = registry.beginResync();
    meanwhile(registry);
    expect(registry.resync(listing(['b']), before, T0 + 1)).toEqual({ gone: [], adopted: [] });
    expect(registry.all().map((s) => s.id)).toEqual(left);
  });

  it('a server removed before an earlier resync that the platform still runs is adopted by the next one', () => {
    const registry = fleetWith({ a: 5, b: 5 });
    registry.remove('a');
    expect(registry.resync(listing(['b']), registry.beginResync(), T0 + 1).adopted).toEqual([]);
    expect(registry.resync(listing(['a', 'b']), registry.beginResync(), T0 + 2).adopted).toEqual(['a']);
    expect(registry.stateOf('a')).toBe('ready');
  });
});

describe('FleetRegistry.holdingOf: the places each client holds, handed out and not yet taken', () => {
  const alice = { address: '198.51.100.1', id: 'alice' };
  const bob = { address: '198.51.100.1', id: 'bob' };
  const anonymous = { address: '198.51.100.1' };
  const other = { address: '198.51.100.2' };
  const TIMEOUT_MS = 60_000;

  it.each<{ case: string; act: (r: FleetRegistry) => void; ask: { address: string; id?: string }; now?: number; expected: object }>([
    { case: 'nothing handed out: holds nothing', act: () => undefined, ask: alice, expected: { held: 0 } },
    {
      case: 'the places of one address count together, whatever their ids: a client cannot escape its limit by naming itself anew',
      act: (r) => {
        r.allocate(T0, alice);
        r.allocate(T0 + 1, bob);
        r.allocate(T0 + 2, anonymous);
      },
      ask: { address: '198.51.100.1', id: 'carol' },
      expected: { held: 3, oldestAt: T0, again: undefined },
    },
    { case: 'another address holds its own', act: (r) => void r.allocate(T0, alice), ask: other, expected: { held: 0 } },
    { case: 'a client that named itself gets its place again', act: (r) => void r.allocate(T0, alice), ask: alice, expected: { held: 1, oldestAt: T0, again: { serverId: 'a', address: 'a:7777' } } },
    { case: 'a neighbour without an id at the same address does not get it: an address alone cannot tell a retry from a neighbour', act: (r) => void r.allocate(T0, alice), ask: anonymous, expected: { held: 1, oldestAt: T0, again: undefined } },
    { case: 'nor does another id at the same address', act: (r) => void r.allocate(T0, alice), ask: bob, expected: { held: 1, oldestAt: T0, again: undefined } },
    { case: 'a place handed out without a client is nobody\'s', act: (r) => void r.allocate(T0), ask: alice, expected: { held: 0 } },
    { case: 'held until the last millisecond of RESERVATION_TIMEOUT', act: (r) => void r.allocate(T0, alice), ask: alice, now: T0 + TIMEOUT_MS - 1, expected: { held: 1, again: { serverId: 'a', address: 'a:7777' } } },
    { case: 'held no more once it timed out', act: (r) => void r.allocate(T0, alice), ask: alice, now: T0 + TIMEOUT_MS, expected: { held: 0 } },
    {
      case: 'a place its player took is held no more: the report shows one player arrived',
      act: (r) => {
        r.allocate(T0, alice);
        probe(r, 'a', 2, T0 + 1);
      },
      ask: alice,
      expected: { held: 0 },
    },
    {
      case: 'players arrive in the order places were handed out: the oldest place is the one taken',
      act: (r) => {
        r.allocate(T0, alice);
        r.allocate(T0 + 1, bob);
        probe(r, 'a', 2, T0 + 2);
      },
      ask: bob,
      expected: { held: 1, oldestAt: T0 + 1, again: { serverId: 'a', address: 'a:7777' } },
    },
    {
      case: 'a place on a server that drains still counts, but is not handed out again',
      act: (r) => {
        r.allocate(T0, alice);
        r.setDraining('a', true, T0);
      },
      ask: alice,
      expected: { held: 1, again: undefined },
    },
    {
      case: 'a place on a server that fails is not handed out again',
      act: (r) => {
        r.allocate(T0, alice);
        r.recordProbe('a', { ok: false, error: 'timeout' }, T0 + 1);
      },
      ask: alice,
      expected: { held: 1, again: undefined },
    },
    {
      case: 'a place on a server the fleet lost is held no more',
      act: (r) => {
        r.allocate(T0, alice);
        r.remove('a');
      },
      ask: alice,
      expected: { held: 0 },
    },
    {
      case: 'nor after a rebuild, even with a server of the same id',
      act: (r) => {
        r.allocate(T0, alice);
        r.rebuild([{ id: 'a', address: 'a:7777', probeAddress: 'a:7777', version: 'v1', outdated: false, platformIds: {} }], T0 + 1);
      },
      ask: alice,
      expected: { held: 0 },
    },
  ])('$case', ({ act, ask, now, expected }) => {
    const registry = fleetWith({ a: 3 });
    act(registry);
    expect(registry.holdingOf(ask, now ?? T0 + 5)).toMatchObject(expected);
  });

  it('keeps the count and the oldest place right as places come and go in any order, by the hundred', () => {
    const registry = fleetWith({ a: 1_000 });
    for (let i = 0; i < 300; i++) registry.allocate(T0 + i, { address: alice.address, id: `p${i}` });
    // Players take the oldest 100 (the report shows 100 fewer places), then the next 100 time out.
    probe(registry, 'a', 900, T0 + 300);
    expect(registry.holdingOf(alice, T0 + 300)).toMatchObject({ held: 200, oldestAt: T0 + 100 });
    expect(registry.holdingOf(alice, T0 + TIMEOUT_MS + 199)).toMatchObject({ held: 100, oldestAt: T0 + 200 });
    for (let i = 200; i < 250; i++) registry.allocate(T0 + TIMEOUT_MS + i, alice);
    expect(registry.holdingOf(alice, T0 + TIMEOUT_MS + 249)).toMatchObject({ held: 100, oldestAt: T0 + 250 });
    expect(registry.holdingOf({ address: alice.address, id: 'p260' }, T0 + TIMEOUT_MS + 249).again).toEqual({ serverId: 'a', address: 'a:7777' });
    expect(registry.holdingOf({ address: alice.address, id: 'p240' }, T0 + TIMEOUT_MS + 249).again).toBeUndefined();
  });

  it('counts the places each address holds, for the metric of the client nearest its limit', () => {
    const registry = fleetWith({ a: 3, b: 5 });
    registry.allocate(T0, alice);
    registry.allocate(T0, bob);
    registry.allocate(T0, other);
    registry.allocate(T0);
    expect(registry.heldByClient(T0 + 1)).toEqual(new Map([['198.51.100.1', 2], ['198.51.100.2', 1]]));
    expect(registry.heldByClient(T0 + TIMEOUT_MS)).toEqual(new Map());
  });
});
