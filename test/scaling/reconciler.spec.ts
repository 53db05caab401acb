import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { Settings } from '../../src/config/settings';
import { FleetRegistry } from '../../src/fleet/fleet.registry';
import { HealthProber } from '../../src/fleet/health-prober';
import { ProbeResult } from '../../src/fleet/health-report';
import { FleetMetrics, METRIC_PREFIX } from '../../src/metrics/fleet-metrics';
import { GameServerPlatform, LaunchRequest, PlatformServer, ServerRef } from '../../src/platform/game-server-platform';
import { AdaptiveMargin } from '../../src/scaling/adaptive-margin';
import { bootPriorMs } from '../../src/scaling/launch-times';
import { FleetHistory, HISTORY_STEP_MS } from '../../src/scaling/fleet-history';
import { DemandRecord, recordedTrace } from '../../src/scaling/demand-record';
import { PolicyTuning } from '../../src/scaling/policy-tuning';
import { LaunchWatch } from '../../src/scaling/launch-watch';
import { Reconciler } from '../../src/scaling/reconciler.service';
import { waitFor } from '../support/wait';

/**
 * The reconciler's own bookkeeping around the policy's decisions: a platform whose calls the test
 * settles by hand, a prober that answers what the test says, and a clock the test moves (the
 * platforms and the prober themselves are tested against real processes, sockets and the fake AWS).
 */
interface HandSettled<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function handSettled<T>(): HandSettled<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

class HandSettledPlatform implements GameServerPlatform {
  readonly name = 'by-hand';
  readonly launches = new Map<string, HandSettled<PlatformServer>>();
  readonly stops: { readonly ref: ServerRef; readonly call: HandSettled<void> }[] = [];
  readonly drains: { readonly ref: ServerRef; readonly drainingSince?: number; readonly call: HandSettled<void> }[] = [];

  discover = async () => [];
  resync = async () => ({ servers: [] });
  unadopted = () => [];
  launch(request: LaunchRequest): Promise<PlatformServer> {
    const call = handSettled<PlatformServer>();
    this.launches.set(request.id, call);
    return call.promise;
  }
  stop(ref: ServerRef): Promise<void> {
    const call = handSettled<void>();
    this.stops.push({ ref, call });
    return call.promise;
  }
  setDraining(ref: ServerRef, drainingSince?: number): Promise<void> {
    const call = handSettled<void>();
    this.drains.push({ ref, drainingSince, call });
    return call.promise;
  }
  ping = async () => undefined;

  stopOf(id: string) {
    const stop = this.stops.find((s) => s.ref.id === id);
    if (!stop) throw new Error(`no stop of ${id}`);
    return stop;
  }
}

/**
 * Answers each probe as told for its server; a server it was told nothing about does not answer.
 * A pass's probes can be held: their answers are the ones of the moment they were sent, delivered
 * when the test releases them.
 */
class ScriptedProber {
  readonly answers = new Map<string, ProbeResult>();
  private held?: Promise<void>;
  async probeAll(targets: readonly { probeAddress: string }[]): Promise<ProbeResult[]> {
    const results = await Promise.all(targets.map((target) => this.probe(target.probeAddress)));
    await this.held;
    return results;
  }
  /** Holds the answers of the passes' probes until the returned function is called. */
  hold(): () => void {
    const gate = handSettled<void>();
    this.held = gate.promise;
    return () => {
      this.held = undefined;
      gate.resolve();
    };
  }
  async probe(address: string): Promise<ProbeResult> {
    return this.answers.get(address) ?? { ok: false, error: 'no answer' };
  }
  answer(id: string, result: ProbeResult): void {
    this.answers.set(probeAddressOf(id), result);
  }
}

const probeAddressOf = (id: string) => `probe-${id}:9000`;
const up = (availableCapacity: number, readyToClose = false): ProbeResult => ({ ok: true, report: { availableCapacity, readyToClose } });
const down: ProbeResult = { ok: false, error: 'connection refused' };

function platformServer(id: string, extra: Partial<PlatformServer> = {}): PlatformServer {
  return { id, address: `game-${id}:7777`, probeAddress: probeAddressOf(id), version: 'v1', outdated: false, platformIds: { task: `task-${id}` }, ...extra };
}

const START = Date.parse('2030-01-01T00:00:00Z');

function setUp(running: PlatformServer[] = [], extra: Partial<Settings> = {}) {
  const clock = { now: START };
  jest.spyOn(Date, 'now').mockImplementation(() => clock.now);
  const settings = Object.assign(new Settings(), { MIN_SERVERS: 1, LOG_LEVEL: 'silent', ...extra });
  const registry = new FleetRegistry(settings);
  registry.rebuild(running, clock.now);
  const platform = new HandSettledPlatform();
  const prober = new ScriptedProber();
  const metrics = new FleetMetrics(settings);
  const adaptive = new AdaptiveMargin(bootPriorMs(settings.PLATFORM, settings.ECS_LAUNCH_TYPE));
  const tuning = new PolicyTuning(settings);
  const demandRecord = new DemandRecord();
  const history = new FleetHistory();
  const launchWatch = new LaunchWatch(registry, prober as unknown as HealthProber, settings);
  const reconciler = new Reconciler(registry, prober as unknown as HealthProber, platform, tuning, metrics, adaptive, settings, demandRecord, history, launchWatch);
  return { clock, registry, platform, prober, metrics, reconciler, adaptive, tuning, demandRecord, history };
}

/** Lets every promise that can settle now settle (and whatever they start in turn). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

async function metricValue(metrics: FleetMetrics, name: string, labels: Record<string, string> = {}, metricName = `${METRIC_PREFIX}${name}`): Promise<number> {
  const { values } = await metrics.registry.getSingleMetric(`${METRIC_PREFIX}${name}`)!.get();
  return values
    .filter((v) => ((v as { metricName?: string }).metricName ?? `${METRIC_PREFIX}${name}`) === metricName && Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));
afterEach(() => jest.restoreAllMocks());

describe('Reconciler: launches', () => {
  it('launches as many servers as asked, each launching under an id of its own, counted in the metrics', async () => {
    const { registry, platform, metrics, reconciler } = setUp();
    reconciler.apply({ kind: 'launch', count: 2, reason: 'test' }, 'operator');

    const ids = [...platform.launches.keys()];
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) {
      expect(id).toMatch(/^gs-[0-9a-f]{12}$/);
      expect(registry.stateOf(id)).toBe('launching');
    }
    expect(await metricValue(metrics, 'scaling_actions_total', { kind: 'launch', origin: 'operator' })).toBe(2);
  });

  it('logs every action with its origin, its reason and the figures the pass decided on', async () => {
    const { prober, reconciler } = setUp([platformServer('a')]);
    const logs = jest.spyOn(Logger.prototype, 'log');
    prober.answer('a', up(1));
    await reconciler.runPass();
    const launch = logs.mock.calls.find(([, message]) => /^launch /.test(String(message)));
    expect(launch?.[1]).toBe('launch 1 server(s): free capacity 1 below upscale margin 4');
    expect(launch?.[0]).toMatchObject({
      action: { kind: 'launch', count: 1 },
      origin: 'policy',
      inputs: { freeCapacity: 1, unmetDemand: 0, serversByState: { ready: 1, launching: 0 }, margins: { upscaleMargin: 4 } },
    });
    reconciler.apply({ kind: 'drain', serverId: 'a', reason: 'by hand' }, 'operator');
    expect(logs.mock.calls.at(-1)).toEqual([{ action: { kind: 'drain', serverId: 'a', reason: 'by hand' }, origin: 'operator', inputs: undefined }, 'drain a: by hand']);
  });

  it('a placed server has its address, and a later stop reaches the platform', async () => {
    const { registry, platform, reconciler } = setUp();
    reconciler.apply({ kind: 'launch', count: 1, reason: 'test' }, 'operator');
    const [id] = platform.launches.keys();
    platform.launches.get(id)!.resolve(platformServer(id));
    await flush();
    expect(registry.get(id)?.address).toBe(`game-${id}:7777`);
    expect(platform.stops).toEqual([]);

    reconciler.apply({ kind: 'stop', serverId: id, reason: 'operator' }, 'operator');
    expect(platform.stopOf(id).ref).toEqual({ id, platformIds: { task: `task-${id}` } });
  });

  // What the next pass sees of a launch that the platform gave up on.
  it.each([
    { before: 'nothing', failures: 1 },
    { before: 'a stop as timed out', failures: 1 },
    { before: "an operator's stop", failures: 0 },
    { before: 'a rebuild that forgot it', failures: 1 },
  ])('a failed launch after $before leaves $failures launch failure(s) and no server', async ({ before, failures }) => {
    const { registry, platform, reconciler } = setUp();
    reconciler.apply({ kind: 'launch', count: 1, reason: 'test' }, 'operator');
    const [id] = platform.launches.keys();
    if (before === 'a stop as timed out') reconciler.apply({ kind: 'stop', serverId: id, reason: 'launch-timeout' }, 'policy');
    if (before === "an operator's stop") reconciler.apply({ kind: 'stop', serverId: id, reason: 'operator' }, 'operator');
    if (before === 'a rebuild that forgot it') registry.rebuild([], Date.now());
    platform.launches.get(id)!.reject(new Error('gave up waiting for the task to run'));
    await reconciler.settle();
    expect(registry.get(id)).toBeUndefined();
    // A server stopped before it was placed has nothing to stop on the platform.
    expect(platform.stops).toEqual([]);

    const decision = await reconciler.runPass();
    expect(reconciler.recentDecisions().at(-1)?.launchFailures.consecutive).toBe(failures);
    if (failures > 0) {
      expect(decision.heldBack?.by).toBe('launch-backoff');
      expect(decision.heldBack?.detail).toMatch(new RegExp(`^${failures} launch failures in a row`));
    } else {
      expect(decision.actions).toEqual([expect.objectContaining({ kind: 'launch' })]);
    }
  });

  it('backs off after launches fail in a row, launches again after the back-off, and forgets the failures once a launch comes up', async () => {
    const { clock, registry, platform, prober, reconciler } = setUp();
    for (let i = 0; i < 2; i++) {
      reconciler.apply({ kind: 'launch', count: 1, reason: 'test' }, 'operator');
      platform.launches.get([...platform.launches.keys()].at(-1)!)!.reject(new Error('no capacity'));
      await reconciler.settle();
    }
    const launchesBefore = platform.launches.size;
    const held = await reconciler.runPass();
    expect(held.heldBack?.detail).toMatch(/^2 launch failures in a row/);
    expect(platform.launches.size).toBe(launchesBefore);

    clock.now += 3_600_000;
    const launched = await reconciler.runPass();
    expect(launched.actions).toEqual([expect.objectContaining({ kind: 'launch', count: 1 })]);
    const id = [...platform.launches.keys()].at(-1)!;
    expect(registry.stateOf(id)).toBe('launching');

    platform.launches.get(id)!.resolve(platformServer(id));
    await flush();
    prober.answer(id, up(10));
    clock.now += 1000;
    await reconciler.runPass();
    expect(registry.stateOf(id)).toBe('ready');
    // The pass after sees no failures: it records the state it found, and the fleet has what it needs.
    clock.now += 1000;
    reconciler.apply({ kind: 'drain', serverId: id, reason: 'test' }, 'operator');
    await reconciler.runPass();
    expect(reconciler.recentDecisions().at(-1)?.launchFailures).toEqual({ consecutive: 0 });
  });

  it.each([
    { change: 'a ready server failing its probe', resets: false },
    { change: 'a launching server answering', resets: true },
  ])('launch failures are forgotten on $change: $resets', async ({ change, resets }) => {
    // Margins that always want more, so that every pass decides (and is recorded with what it saw).
    const { clock, registry, platform, prober, reconciler } = setUp([platformServer('old')], { UPSCALE_MARGIN: 100, DOWNSCALE_MARGIN: 200 });
    prober.answer('old', up(2));
    reconciler.apply({ kind: 'launch', count: 2, reason: 'test' }, 'operator');
    const [failing, coming] = platform.launches.keys();
    platform.launches.get(failing)!.reject(new Error('no capacity'));
    platform.launches.get(coming)!.resolve(platformServer(coming));
    await flush();
    if (change === 'a ready server failing its probe') prober.answer('old', down);
    else prober.answer(coming, up(10));
    clock.now += 1000;

    const decision = await reconciler.runPass();
    expect(registry.stateOf(change === 'a ready server failing its probe' ? 'old' : coming)).toBe(resets ? 'ready' : 'unhealthy');
    expect(reconciler.recentDecisions().at(-1)?.launchFailures.consecutive).toBe(resets ? 0 : 1);
    expect(decision.heldBack?.by === 'launch-backoff').toBe(!resets);
  });

  it('a launch stopped while still placing is stopped on the platform once placed, and settle() waits for that stop', async () => {
    const { registry, platform, reconciler } = setUp();
    reconciler.apply({ kind: 'launch', count: 1, reason: 'test' }, 'operator');
    const [id] = platform.launches.keys();
    reconciler.apply({ kind: 'stop', serverId: id, reason: 'operator' }, 'operator');
    expect(registry.stateOf(id)).toBe('stopping');
    expect(platform.stops).toEqual([]);

    let settled = false;
    const settling = reconciler.settle().then(() => (settled = true));
    platform.launches.get(id)!.resolve(platformServer(id));
    await flush();
    expect(platform.stopOf(id).ref).toEqual({ id, platformIds: { task: `task-${id}` } });
    expect(settled).toBe(false);

    platform.stopOf(id).call.resolve();
    await settling;
    expect(registry.get(id)).toBeUndefined();
  });

  it('a server whose recording fails after the platform launched it is stopped on the platform, not leaked', async () => {
    const { registry, platform, reconciler } = setUp();
    reconciler.apply({ kind: 'launch', count: 1, reason: 'test' }, 'operator');
    const [id] = platform.launches.keys();
    jest.spyOn(registry, 'placed').mockImplementationOnce(() => {
      throw new Error('recording failed');
    });
    platform.launches.get(id)!.resolve(platformServer(id));
    await flush();

    expect(platform.stopOf(id).ref).toEqual({ id, platformIds: { task: `task-${id}` } });
    // Meanwhile it is neither capacity nor a launch that could time out.
    expect(registry.stateOf(id)).toBe('stopping');
    platform.stopOf(id).call.resolve();
    await reconciler.settle();
    expect(registry.get(id)).toBeUndefined();
  });
});

describe('Reconciler: stops and drains', () => {
  it.each([
    { outcome: 'succeeds', after: undefined },
    { outcome: 'fails', after: 'ready' },
  ])('a stop that $outcome leaves the server $after', async ({ outcome, after }) => {
    const { clock, registry, platform, prober, reconciler } = setUp([platformServer('a')]);
    reconciler.apply({ kind: 'stop', serverId: 'a', reason: 'operator' }, 'operator');
    expect(registry.stateOf('a')).toBe('stopping');
    expect(platform.stopOf('a').ref).toEqual({ id: 'a', platformIds: { task: 'task-a' } });

    if (outcome === 'succeeds') platform.stopOf('a').call.resolve();
    else platform.stopOf('a').call.reject(new Error('throttled'));
    await reconciler.settle();
    expect(registry.stateOf('a')).toBe(after);
    if (after) {
      // Why it is back, for the operator who was answered 202.
      expect(registry.get('a')?.lastRefusal).toEqual({ action: 'stop', at: clock.now, error: 'throttled' });
      // Back in the fleet: probed and decided on again by the next pass.
      prober.answer('a', up(10, true));
      const decision = await reconciler.runPass();
      expect(registry.get('a')?.reportedCapacity).toBe(10);
      expect(decision.readyServers).toBe(1);
    }
  });

  it.each([
    { reason: 'unhealthy', failures: 0 },
    { reason: 'drained', failures: 0 },
    { reason: 'launch-timeout', failures: 1 },
  ] as const)('a stop for $reason counts $failures launch failure(s)', async ({ reason, failures }) => {
    const { platform, prober, reconciler } = setUp([platformServer('a'), platformServer('b')]);
    prober.answer('b', up(5));
    reconciler.apply({ kind: 'stop', serverId: 'a', reason }, 'policy');
    platform.stopOf('a').call.resolve();
    await reconciler.settle();

    reconciler.apply({ kind: 'drain', serverId: 'b', reason: 'test' }, 'operator');
    await reconciler.runPass();
    expect(reconciler.recentDecisions().at(-1)?.launchFailures.consecutive).toBe(failures);
  });

  it.each([
    { action: 'drain', kind: 'drain', outcome: 'succeeds', after: 'draining', since: 'draining since the drain' },
    { action: 'drain', kind: 'drain', outcome: 'fails', after: 'ready', since: 'not draining' },
    { action: 'reactivate', kind: 'reactivate', outcome: 'succeeds', after: 'ready', since: 'not draining' },
    // Not since the failed reactivation: DRAIN_TIMEOUT would start again.
    { action: 'reactivate', kind: 'reactivate', outcome: 'fails', after: 'draining', since: 'draining since the first drain' },
  ] as const)('a $action that $outcome on the platform leaves the server $after ($since)', async ({ kind, outcome, after, since }) => {
    const drainedAt = START - 60_000;
    const { clock, registry, platform, metrics, reconciler } = setUp([platformServer('a', kind === 'reactivate' ? { drainingSince: drainedAt } : {})]);
    clock.now += 1000;
    reconciler.apply({ kind, serverId: 'a', reason: 'test' }, 'operator');
    expect(registry.stateOf('a')).toBe(kind === 'drain' ? 'draining' : 'ready');
    expect(platform.drains).toEqual([{ ref: { id: 'a', platformIds: { task: 'task-a' } }, drainingSince: kind === 'drain' ? clock.now : undefined, call: expect.anything() }]);
    expect(await metricValue(metrics, 'scaling_actions_total', { kind, origin: 'operator' })).toBe(1);

    if (outcome === 'succeeds') platform.drains[0].call.resolve();
    else platform.drains[0].call.reject(new Error('tag failed'));
    await reconciler.settle();
    expect(registry.stateOf('a')).toBe(after);
    expect(registry.get('a')?.lastRefusal).toEqual(outcome === 'fails' ? { action: kind === 'drain' ? 'drain' : 'undrain', at: clock.now, error: 'tag failed' } : undefined);
    expect(registry.get('a')?.drainingSince).toBe({ 'draining since the drain': clock.now, 'draining since the first drain': drainedAt, 'not draining': undefined }[since]);
  });

  it('a server whose last report said it was empty, handed a player since, keeps its grace once the place times out', async () => {
    const ids = ['a', 'b', 'c'];
    const { clock, registry, platform, prober, reconciler } = setUp(ids.map((id) => platformServer(id)), { MIN_SERVERS: 3, DOWNSCALE_MARGIN: 100, RESERVATION_TIMEOUT: 15 });
    for (const id of ids) prober.answer(id, up(10, true));
    await reconciler.runPass();
    // A player gets a place; before the next report shows it, the server stops answering the manager (its game goes on).
    const victim = registry.allocate(clock.now).allocation?.serverId as string;
    prober.answer(victim, down);
    const stopsOfVictim = () => platform.stops.filter((stop) => stop.ref.id === victim).length;
    const grace = new Settings().UNHEALTHY_PLAYER_GRACE * 1000;
    const lastHealthyAt = clock.now;
    // Well past RESERVATION_TIMEOUT, when the place no longer counts, and up to the grace.
    while (clock.now + 2_000 < lastHealthyAt + grace) {
      clock.now += 2_000;
      await reconciler.runPass();
      expect({ at: clock.now - lastHealthyAt, stops: stopsOfVictim() }).toEqual({ at: clock.now - lastHealthyAt, stops: 0 });
    }
    clock.now = lastHealthyAt + grace;
    await reconciler.runPass();
    expect(stopsOfVictim()).toBe(1);
  });

  it("a descriptor leak of the manager's own, reaching one more server each pass, stops none of them and is said once", async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const { clock, registry, platform, prober, metrics, reconciler } = setUp(ids.map((id) => platformServer(id)), { MIN_SERVERS: 20, DOWNSCALE_MARGIN: 1000 });
    for (const id of ids) prober.answer(id, up(10, true));
    await reconciler.runPass();
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const unsent: ProbeResult = { ok: false, error: 'EMFILE: too many open files', unsent: true };
    for (const id of ids) {
      prober.answer(id, unsent);
      clock.now += 2_000;
      await reconciler.runPass();
    }
    expect(platform.stops).toEqual([]);
    expect(ids.map((id) => registry.stateOf(id))).toEqual(ids.map(() => 'ready'));
    expect(await metricValue(metrics, 'probes_unsent_total')).toBe((ids.length * (ids.length + 1)) / 2);
    expect(await metricValue(metrics, 'probe_failures_total')).toBe(0);
    expect(errors.mock.calls).toEqual([[{ unsentProbes: 1, of: 20, error: 'EMFILE: too many open files' }, expect.stringMatching(/^1 of 20 probes could not be sent \(EMFILE: too many open files\)/)]]);

    // Sent again: said once, with how long they could not be.
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    for (const id of ids) prober.answer(id, up(10, true));
    for (let pass = 0; pass < 2; pass++) {
      clock.now += 2_000;
      await reconciler.runPass();
    }
    expect(warnings.mock.calls.filter(([, message]) => String(message).startsWith('probes are sent again'))).toEqual([[{ unsentSeconds: 40 }, 'probes are sent again after 40 s']]);
    expect(errors).toHaveBeenCalledTimes(1);
  });

  it.each(['stop', 'drain', 'reactivate'] as const)('a %s of a server the fleet does not know asks nothing of the platform', async (kind) => {
    const { platform, reconciler } = setUp([platformServer('a')]);
    reconciler.apply({ kind, serverId: 'gone', reason: 'operator' } as never, 'operator');
    await reconciler.settle();
    expect(platform.stops).toEqual([]);
    expect(platform.drains).toEqual([]);
  });

  it('settle() resolves at once with nothing in flight, and only after the platform answers otherwise', async () => {
    const { platform, reconciler } = setUp([platformServer('a')]);
    await reconciler.settle();
    reconciler.apply({ kind: 'stop', serverId: 'a', reason: 'operator' }, 'operator');
    let settled = false;
    const settling = reconciler.settle().then(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    platform.stopOf('a').call.resolve();
    await settling;
  });
});

describe('Reconciler: probes', () => {
  it.each([
    { server: 'a ready one', answer: down, before: 'ready', after: 'unhealthy', failuresCounted: 1 },
    { server: 'a ready one', answer: up(3), before: 'ready', after: 'ready', failuresCounted: 0 },
    { server: 'a placed launch', answer: down, before: 'launching', after: 'launching', failuresCounted: 0 },
    { server: 'a placed launch', answer: up(3), before: 'launching', after: 'ready', failuresCounted: 0 },
  ])('$server answering $answer.ok: $before -> $after, $failuresCounted failure(s) counted', async ({ server, answer, before, after, failuresCounted }) => {
    const { registry, platform, prober, metrics, reconciler } = setUp([platformServer('other')]);
    prober.answer('other', up(10));
    let id = 'a';
    if (server === 'a ready one') {
      registry.rebuild([platformServer('a'), platformServer('other')], Date.now());
    } else {
      reconciler.apply({ kind: 'launch', count: 1, reason: 'test' }, 'operator');
      id = [...platform.launches.keys()][0];
      platform.launches.get(id)!.resolve(platformServer(id));
      await flush();
    }
    expect(registry.stateOf(id)).toBe(before);
    prober.answer(id, answer);

    await reconciler.runPass();
    expect(registry.stateOf(id)).toBe(after);
    if (answer.ok) expect(registry.get(id)?.reportedCapacity).toBe(3);
    expect(await metricValue(metrics, 'probe_failures_total')).toBe(failuresCounted);
  });

  it('a launch answering is ready before the next pass, and a probe a pass sent before it answered does not count against it', async () => {
    const { registry, platform, prober, metrics, reconciler, adaptive } = setUp([platformServer('other')]);
    prober.answer('other', up(10));
    reconciler.apply({ kind: 'launch', count: 1, reason: 'test' }, 'operator');
    const [id] = platform.launches.keys();
    platform.launches.get(id)!.resolve(platformServer(id));
    await flush();

    // A pass probes while the server does not answer yet, and its answers are slow to come back.
    const release = prober.hold();
    const pass = reconciler.runPass();
    await flush();
    prober.answer(id, up(3));
    await waitFor('the launch watch to see the server answer', () => registry.stateOf(id) === 'ready', 5000);
    expect(adaptive.launchTimes.recent()).toHaveLength(1);

    release();
    await pass;
    expect(registry.stateOf(id)).toBe('ready');
    expect(registry.get(id)?.consecutiveFailures).toBe(0);
    expect(await metricValue(metrics, 'probe_failures_total')).toBe(0);
  });

  it('probes nothing being stopped, and counts every failing server that was healthy', async () => {
    const { registry, prober, metrics, reconciler } = setUp(['a', 'b', 'c', 'd'].map((id) => platformServer(id)));
    prober.answer('a', up(10));
    registry.setStopping('d', true);
    await reconciler.runPass();
    expect(await metricValue(metrics, 'probe_failures_total')).toBe(2);
    expect(registry.stateOf('d')).toBe('stopping');
    expect(registry.get('d')?.lastProbeAt).toBeUndefined();
  });
});

describe('Reconciler: probe outage', () => {
  it('stops, launches and drains nothing while most servers fail at once, and the grace of a server with players counts from its end', async () => {
    const { clock, registry, platform, prober, metrics, reconciler } = setUp([platformServer('a'), platformServer('b')]);
    prober.answer('a', up(5));
    prober.answer('b', up(5));
    await reconciler.runPass();
    expect(reconciler.probeOutage()).toBeUndefined();
    expect(reconciler.recentDecisions()).toEqual([]);

    // Said loudly once when it begins and once when it ends: operators alert on these lines.
    const errors = jest.spyOn(Logger.prototype, 'error');
    const warnings = jest.spyOn(Logger.prototype, 'warn');
    prober.answer('a', down);
    prober.answer('b', down);
    const began = (clock.now += 10_000);
    for (const at of [0, 30_000, 60_000, 90_000]) {
      clock.now = began + at;
      const decision = await reconciler.runPass();
      expect(decision.probeOutage).toEqual({ serverIds: ['a', 'b'], failing: 2, of: 2 });
      expect(reconciler.probeOutage()).toEqual({ since: began, figures: decision.probeOutage });
    }
    expect(await metricValue(metrics, 'probe_outage')).toBe(1);
    expect(await metricValue(metrics, 'probe_outage_failing_servers')).toBe(2);
    expect(errors.mock.calls).toEqual([
      [
        { probeOutage: { serverIds: ['a', 'b'], failing: 2, of: 2 } },
        "probe outage: 2 of 2 servers that were healthy fail their probes at once; suspecting the manager's own network or load, so no server is stopped for failed probes and none is launched or drained until probes answer again",
      ],
    ]);
    expect(registry.get('b')?.consecutiveFailures).toBe(4);
    expect(platform.launches.size + platform.stops.length + platform.drains.length).toBe(0);
    // One record for the whole outage, with the figures of its last pass.
    expect(reconciler.recentDecisions()).toEqual([
      expect.objectContaining({ at: new Date(began).toISOString(), lastAt: new Date(began + 90_000).toISOString(), repeats: 3 }),
    ]);
    expect(reconciler.recentDecisions()[0].serversByState).toEqual({ launching: 0, ready: 0, draining: 0, unhealthy: 2, stopping: 0 });

    prober.answer('a', up(5));
    const ended = (clock.now = began + 120_000);
    await reconciler.runPass();
    expect(reconciler.probeOutage()).toBeUndefined();
    expect(await metricValue(metrics, 'probe_outage')).toBe(0);
    expect(await metricValue(metrics, 'probe_outage_failing_servers')).toBe(0);
    expect(warnings.mock.calls.filter(([, message]) => /^probe outage/.test(String(message)))).toEqual([
      [{ probeOutageSeconds: 120 }, 'probe outage over after 120 s: probes answer again'],
    ]);
    expect(errors).toHaveBeenCalledTimes(1);

    // b failed for more than UNHEALTHY_PLAYER_GRACE (180 s) since its last report, but not since the outage ended.
    clock.now = ended + 150_000;
    expect((await reconciler.runPass()).actions).toEqual([]);
    clock.now = ended + 181_000;
    expect((await reconciler.runPass()).actions).toEqual([{ kind: 'stop', serverId: 'b', reason: 'unhealthy' }]);
  });
});

describe('Reconciler: probe outage longer than the grace', () => {
  // The policy counts the pass that sees the outage end as its end: the reconciler notes the end
  // only after the decision (this stopped the server at once before).
  it('does not stop a server with players in the pass that sees the outage end', async () => {
    const { clock, prober, reconciler } = setUp([platformServer('a'), platformServer('b')]);
    prober.answer('a', up(5));
    prober.answer('b', up(5));
    await reconciler.runPass();
    prober.answer('a', down);
    prober.answer('b', down);
    const began = (clock.now += 10_000);
    for (const at of [0, 100_000, 200_000, 300_000]) {
      clock.now = began + at;
      expect((await reconciler.runPass()).probeOutage).toBeDefined();
    }
    prober.answer('a', up(5));
    clock.now = began + 310_000;
    const ending = await reconciler.runPass();
    expect(ending.probeOutage).toBeUndefined();
    expect(ending.actions).toEqual([]);
  });
});

describe('Reconciler: what the adaptive margin, the demand record and the schedule are given', () => {
  it("records each launch's time from the launch to its first healthy probe, and no other time", async () => {
    const { clock, platform, prober, metrics, reconciler, adaptive } = setUp([platformServer('a')]);
    prober.answer('a', up(10));
    await reconciler.runPass();
    reconciler.apply({ kind: 'launch', count: 1, reason: 'test' }, 'operator');
    const [id] = platform.launches.keys();
    platform.launches.get(id)!.resolve(platformServer(id));
    await flush();
    clock.now += 42_000;
    prober.answer(id, up(10));
    // A server that fails and recovers is no launch.
    prober.answer('a', down);
    await reconciler.runPass();
    clock.now += 5_000;
    prober.answer('a', up(10));
    await reconciler.runPass();
    expect(adaptive.launchTimes.recent()).toEqual([42_000]);
    expect(await metricValue(metrics, 'launch_ready_seconds', {}, `${METRIC_PREFIX}launch_ready_seconds_count`)).toBe(1);
    expect(await metricValue(metrics, 'launch_ready_seconds', {}, `${METRIC_PREFIX}launch_ready_seconds_sum`)).toBe(42);
  });

  it('counts the places handed out, the players turned away and the places in use, in the history, the 7-day record and the chart', async () => {
    const { clock, registry, prober, metrics, reconciler, adaptive, demandRecord, history } = setUp([platformServer('a')], { SERVER_CAPACITY: 10, MIN_SERVERS: 1, MAX_SERVERS: 1 });
    prober.answer('a', up(3));
    await reconciler.runPass();
    clock.now += 1_000;
    for (let i = 0; i < 5; i++) registry.allocate(clock.now);
    await reconciler.runPass();
    const minute = demandRecord.minutes().at(-1);
    expect(minute).toEqual({ minute: Math.floor(clock.now / 60_000), handedOut: 3, turnedAway: 2, waitsServed: 0, inUse: 10 });
    // The net demand: the places in use (7 taken, 3 reserved) and every player turned away.
    expect(adaptive.demand.levelAgo(0)).toBe(12);
    expect(await metricValue(metrics, 'reserved_places')).toBe(3);
    expect(history.points().at(-1)).toEqual({
      at: Math.floor(clock.now / HISTORY_STEP_MS) * HISTORY_STEP_MS,
      players: 10,
      capacityUp: 10,
      // As the policy counts it: no place free, less the two players turned away.
      free: -2,
      upscaleMargin: 4,
      downscaleMargin: 18,
      serversByState: { launching: 0, ready: 1, draining: 0, unhealthy: 0, stopping: 0 },
      launches: 0,
      turnedAway: 2,
    });
  });

  it('a client that names itself and waits over two passes is one player in the demand, and unmet in each pass', async () => {
    const { clock, registry, prober, reconciler, adaptive, demandRecord, history } = setUp([platformServer('a')], { SERVER_CAPACITY: 10, MIN_SERVERS: 1, MAX_SERVERS: 1 });
    const alice = { address: '198.51.100.1', id: 'alice' };
    // Both passes in one step of the chart.
    clock.now = Math.ceil(clock.now / HISTORY_STEP_MS) * HISTORY_STEP_MS;
    prober.answer('a', up(0));
    await reconciler.runPass();
    for (const pass of [1, 2]) {
      clock.now += 1_000;
      for (let i = 0; i < 3; i++) registry.allocate(clock.now, alice);
      const decision = await reconciler.runPass();
      // As the policy counts it: no place free, less alice, in each pass she still waits.
      expect({ pass, free: decision.freeCapacityBefore }).toEqual({ pass, free: -1 });
    }
    expect(history.points().at(-1)).toMatchObject({ at: clock.now - 2_000, turnedAway: 1 });
    expect(demandRecord.minutes().at(-1)).toMatchObject({ handedOut: 0, turnedAway: 1 });
    // The net demand: 10 places taken, and one player turned away.
    expect(adaptive.demand.levelAgo(0)).toBe(11);
  });

  it('a client that waited and then got a place is one player in the demand and one arrival in the record, not two', async () => {
    const { clock, registry, prober, reconciler, adaptive, demandRecord } = setUp([platformServer('a')], { SERVER_CAPACITY: 10, MIN_SERVERS: 1, MAX_SERVERS: 1 });
    const alice = { address: '198.51.100.1', id: 'alice' };
    // All passes in one minute of the record.
    clock.now = Math.ceil(clock.now / 60_000) * 60_000;
    prober.answer('a', up(0));
    await reconciler.runPass();
    clock.now += 1_000;
    expect(registry.allocate(clock.now, alice).allocation).toBeUndefined();
    await reconciler.runPass();
    // 10 places taken, and alice turned away.
    expect(adaptive.demand.levelAgo(0)).toBe(11);
    // A player leaves, and alice gets the place.
    prober.answer('a', up(1));
    clock.now += 1_000;
    await reconciler.runPass();
    clock.now += 1_000;
    expect(registry.allocate(clock.now, alice).allocation).toBeDefined();
    await reconciler.runPass();
    // 9 places taken and alice's reserved: she shows in the places in use now, and no longer among those turned away.
    expect(adaptive.demand.levelAgo(0)).toBe(10);
    expect(demandRecord.minutes().at(-1)).toMatchObject({ handedOut: 1, turnedAway: 1, waitsServed: 1 });
    expect(recordedTrace(demandRecord.minutes().slice(-1))!.arrivals).toEqual([1]);
  });

  it('charts the launches of a pass in its step', async () => {
    const { clock, prober, reconciler, history } = setUp([platformServer('a')], { SERVER_CAPACITY: 10, UPSCALE_MARGIN: 25, DOWNSCALE_MARGIN: 40 });
    clock.now = Math.ceil(clock.now / HISTORY_STEP_MS) * HISTORY_STEP_MS;
    prober.answer('a', up(10));
    await reconciler.runPass();
    expect(history.points()).toEqual([expect.objectContaining({ at: clock.now, launches: 2, free: 10, upscaleMargin: 25 })]);
  });

  it('records a change of settings with the next pass, once, and holds its margins from that pass on', async () => {
    const { metrics, prober, reconciler, tuning } = setUp([platformServer('a')]);
    prober.answer('a', up(10));
    await reconciler.runPass();
    const change = tuning.apply({ UPSCALE_MARGIN: 6, DOWNSCALE_MARGIN: 30 });
    await reconciler.runPass();
    await reconciler.runPass();
    expect(reconciler.recentDecisions().filter((record) => record.settingsChanged)).toEqual([expect.objectContaining({ settingsChanged: [change] })]);
    expect(reconciler.heldMargins()).toMatchObject({ upscaleMargin: 6, downscaleMargin: 30 });
    expect(await metricValue(metrics, 'effective_upscale_margin')).toBe(6);
    expect(await metricValue(metrics, 'effective_downscale_margin')).toBe(30);
  });

  it("records operators' actions with the next pass, once, in a record of their own", async () => {
    const { clock, platform, prober, reconciler } = setUp([platformServer('a'), platformServer('b')]);
    prober.answer('a', up(10));
    prober.answer('b', up(10));
    await reconciler.runPass();
    const before = reconciler.recentDecisions().length;
    reconciler.apply({ kind: 'drain', serverId: 'b', reason: 'operator request' }, 'operator');
    clock.now += 1000;
    reconciler.apply({ kind: 'stop', serverId: 'a', reason: 'forced' }, 'operator');
    platform.drains[0].call.resolve();
    await reconciler.runPass();
    await reconciler.runPass();
    const records = reconciler.recentDecisions().slice(before);
    expect(records.filter((record) => record.operatorActions)).toEqual([
      expect.objectContaining({
        operatorActions: [
          { at: new Date(START).toISOString(), action: { kind: 'drain', serverId: 'b', reason: 'operator request' } },
          { at: new Date(START + 1000).toISOString(), action: { kind: 'stop', serverId: 'a', reason: 'forced' } },
        ],
      }),
    ]);
  });

  it('exports the policy\'s settings as they stand at each pass, not as they were at start-up', async () => {
    const { metrics, prober, reconciler, tuning } = setUp([platformServer('a')]);
    prober.answer('a', up(10));
    await reconciler.runPass();
    expect(await metricValue(metrics, 'max_servers')).toBe(100);
    tuning.apply({ UPSCALE_MARGIN: 6, DOWNSCALE_MARGIN: 30, MIN_SERVERS: 2, MAX_SERVERS: 7 });
    await reconciler.runPass();
    const figures = Object.fromEntries(
      await Promise.all(['upscale_margin', 'downscale_margin', 'server_capacity', 'min_servers', 'max_servers'].map(async (name) => [name, await metricValue(metrics, name)])),
    );
    expect(figures).toEqual({ upscale_margin: 6, downscale_margin: 30, server_capacity: 10, min_servers: 2, max_servers: 7 });
  });

  it.each([
    { case: 'a window on now', startsInMs: -60_000, scheduled: ['now'], upscaleMargin: 30 },
    { case: 'a window that begins within the lead time (a boot of 5 s, a pass)', startsInMs: 3_000, scheduled: ['now'], upscaleMargin: 30 },
    { case: 'a window an hour away', startsInMs: 3_600_000, scheduled: undefined, upscaleMargin: 4 },
  ])('raises the margins to the schedule for $case, and says so', async ({ startsInMs, scheduled, upscaleMargin }) => {
    const start = new Date(START + startsInMs).toISOString();
    const end = new Date(START + startsInMs + 600_000).toISOString();
    const { prober, reconciler } = setUp([platformServer('a')], { CAPACITY_SCHEDULE: JSON.stringify([{ name: 'now', start, end, freePlaces: 30 }]) });
    prober.answer('a', up(10));
    await reconciler.runPass();
    expect(reconciler.heldMargins().upscaleMargin).toBe(upscaleMargin);
    expect(reconciler.heldMargins().scheduled?.windows).toEqual(scheduled);
  });
});

describe('Reconciler: decisions and metrics', () => {
  it.each([
    { pass: 'with nothing to do', recorded: false },
    { pass: 'with an action', recorded: true },
    { pass: 'with a launch held back', recorded: true },
  ])('records a pass $pass: $recorded', async ({ pass, recorded }) => {
    const { registry, platform, prober, metrics, reconciler } = setUp(pass === 'with nothing to do' ? [platformServer('a')] : []);
    prober.answer('a', up(10));
    if (pass === 'with a launch held back') {
      reconciler.apply({ kind: 'launch', count: 1, reason: 'test' }, 'operator');
      platform.launches.get([...platform.launches.keys()][0])!.reject(new Error('no capacity'));
      await reconciler.settle();
    }
    registry.allocate(Date.now());
    const decision = await reconciler.runPass();

    expect(await metricValue(metrics, 'scaling_actions_total', { kind: 'launch', origin: 'policy' })).toBe(pass === 'with an action' ? 1 : 0);
    expect(reconciler.recentDecisions()).toEqual(
      recorded
        ? [
            {
              at: new Date(START).toISOString(),
              lastAt: new Date(START).toISOString(),
              repeats: 0,
              serversByState: { launching: 0, ready: 0, draining: 0, unhealthy: 0, stopping: 0 },
              launchFailures: pass === 'with an action' ? { consecutive: 0 } : { consecutive: 1, lastAt: START },
              unmetDemand: 1,
              margins: {
                mode: 'fixed',
                upscaleMargin: 4,
                downscaleMargin: 18,
                // The first pass has no history to measure a growth on; the boot time is the local prior.
                estimate: { upscaleMargin: 4, downscaleMargin: 18, bootMs: 5_000, horizonMs: 6_000, growth: 0, noise: 0, basis: 'configured' },
              },
              // The launch that failed was the test's, as an operator's: recorded with the pass after it.
              ...(pass === 'with a launch held back' ? { operatorActions: [{ at: new Date(START).toISOString(), action: { kind: 'launch', count: 1, reason: 'test' } }] } : {}),
              decision,
            },
          ]
        : [],
    );
  });

  it('counts a decision repeated pass after pass in one record, with the figures of the latest pass', async () => {
    const { clock, registry, platform, reconciler } = setUp();
    reconciler.apply({ kind: 'launch', count: 1, reason: 'test' }, 'operator');
    platform.launches.get([...platform.launches.keys()][0])!.reject(new Error('no capacity'));
    await reconciler.settle();
    await reconciler.runPass();
    clock.now += 1000;
    registry.allocate(Date.now());
    registry.allocate(Date.now());
    const latest = await reconciler.runPass();

    expect(reconciler.recentDecisions()).toEqual([
      expect.objectContaining({ at: new Date(START).toISOString(), lastAt: new Date(START + 1000).toISOString(), repeats: 1, unmetDemand: 2, decision: latest }),
    ]);
  });

  it('keeps the latest 50 decisions', async () => {
    const { clock, registry, reconciler } = setUp();
    clock.now += 3_600_000;
    // Each pass stops another launch that timed out: 51 different decisions.
    for (let i = 0; i <= 50; i++) {
      registry.addLaunching(`stale-${i}`, START);
      await reconciler.runPass();
      clock.now += 1000;
    }
    const kept = reconciler.recentDecisions();
    expect(kept).toHaveLength(50);
    expect(kept[0].decision.actions).toContainEqual({ kind: 'stop', serverId: 'stale-1', reason: 'launch-timeout' });
    expect(kept[49].decision.actions).toContainEqual({ kind: 'stop', serverId: 'stale-50', reason: 'launch-timeout' });
  });

  it('reports the fleet, its free capacity and the time a pass took in the metrics', async () => {
    const { prober, metrics, reconciler } = setUp([platformServer('a'), platformServer('b')]);
    prober.answer('a', up(7));
    jest.spyOn(performance, 'now').mockReturnValueOnce(1000).mockReturnValueOnce(3500);
    const decision = await reconciler.runPass();

    expect(await metricValue(metrics, 'servers', { state: 'ready' })).toBe(1);
    expect(await metricValue(metrics, 'servers', { state: 'unhealthy' })).toBe(1);
    expect(await metricValue(metrics, 'free_capacity')).toBe(decision.freeCapacity);
    expect(decision.freeCapacity).toBe(7);
    expect(await metricValue(metrics, 'reconcile_pass_duration_seconds', {}, `${METRIC_PREFIX}reconcile_pass_duration_seconds_sum`)).toBe(2.5);
  });
});
