import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { Settings } from '../../src/config/settings';
import { FleetRegistry } from '../../src/fleet/fleet.registry';
import { HealthProber } from '../../src/fleet/health-prober';
import { FleetMetrics } from '../../src/metrics/fleet-metrics';
import { GameServerPlatform, LaunchRequest, PlatformServer } from '../../src/platform/game-server-platform';
import { policySettingsFrom } from '../../src/scaling/policy-settings.provider';
import { Reconciler } from '../../src/scaling/reconciler.service';

/**
 * The reconciler's own bookkeeping around a launch, with a platform whose launches the test
 * settles by hand (the platforms themselves are tested against real processes and the fake AWS).
 */
class HandSettledPlatform implements GameServerPlatform {
  readonly name = 'by-hand';
  readonly launches = new Map<string, { resolve: (server: PlatformServer) => void; reject: (error: Error) => void }>();
  readonly stopped: string[] = [];

  discover = async () => [];
  resync = async () => ({ servers: [] });
  unadopted = () => [];
  launch(request: LaunchRequest): Promise<PlatformServer> {
    return new Promise((resolve, reject) => this.launches.set(request.id, { resolve, reject }));
  }
  stop = async (server: { id: string }) => void this.stopped.push(server.id);
  setDraining = async () => undefined;
  ping = async () => undefined;
}

function setUp() {
  const settings = Object.assign(new Settings(), { MIN_SERVERS: 1, LOG_LEVEL: 'silent' });
  const registry = new FleetRegistry(settings);
  registry.rebuild([], Date.now());
  const platform = new HandSettledPlatform();
  const reconciler = new Reconciler(registry, new HealthProber(settings), platform, policySettingsFrom(settings), new FleetMetrics(settings));
  return { registry, platform, reconciler };
}

describe('Reconciler: launches', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));

  it('counts a launch that timed out once, even when the platform gives up on it too afterwards', async () => {
    const { registry, platform, reconciler } = setUp();
    reconciler.apply({ kind: 'launch', count: 1, reason: 'test' }, 'operator');
    const [id] = platform.launches.keys();
    reconciler.apply({ kind: 'stop', serverId: id, reason: 'launch-timeout' }, 'policy');
    platform.launches.get(id)!.reject(new Error('gave up waiting for the task to run'));
    await reconciler.settle();

    const decision = await reconciler.runPass();
    expect(registry.get(id)).toBeUndefined();
    expect(decision.heldBack?.detail).toMatch(/^1 launch failures in a row/);
  });

  it('a server whose recording fails after the platform launched it is stopped on the platform, not leaked', async () => {
    const { registry, platform, reconciler } = setUp();
    reconciler.apply({ kind: 'launch', count: 1, reason: 'test' }, 'operator');
    const [id] = platform.launches.keys();
    jest.spyOn(registry, 'placed').mockImplementationOnce(() => {
      throw new Error('recording failed');
    });
    platform.launches.get(id)!.resolve({ id, address: '127.0.0.1:1', probeAddress: '127.0.0.1:1', version: 'v1', outdated: false, platformIds: { pid: '1' } });
    await reconciler.settle();

    expect(platform.stopped).toEqual([id]);
    expect(registry.get(id)).toBeUndefined();
  });
});
