import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { validateSettings } from '../src/config/validate-settings';
import { FleetRegistry } from '../src/fleet/fleet.registry';
import { HealthProber } from '../src/fleet/health-prober';
import { FleetMetrics } from '../src/metrics/fleet-metrics';
import { GameServerPlatform, PlatformListing, PlatformServer } from '../src/platform/game-server-platform';
import { AdaptiveMargin } from '../src/scaling/adaptive-margin';
import { bootPriorMs } from '../src/scaling/launch-times';
import { DemandRecord } from '../src/scaling/demand-record';
import { FleetHistory } from '../src/scaling/fleet-history';
import { PolicyTuning } from '../src/scaling/policy-tuning';
import { LaunchWatch } from '../src/scaling/launch-watch';
import { Reconciler } from '../src/scaling/reconciler.service';

/** The platform port, answering discovery with the given servers and counting every call. */
class BenchPlatform implements GameServerPlatform {
  readonly name = 'bench';
  calls = 0;

  constructor(private readonly servers: PlatformServer[]) {}

  async discover(): Promise<PlatformServer[]> {
    this.calls += 1;
    return this.servers;
  }

  unadopted(): readonly [] {
    return [];
  }

  async resync(): Promise<PlatformListing> {
    const servers = await this.discover();
    return { servers, running: new Set(servers.map((server) => server.id)) };
  }

  async launch(): Promise<PlatformServer> {
    this.calls += 1;
    throw new Error('the bench fleet never launches');
  }

  async stop(): Promise<void> {
    this.calls += 1;
  }

  async setDraining(): Promise<void> {
    this.calls += 1;
  }

  async ping(): Promise<void> {
    this.calls += 1;
  }
}

export interface ManagerPass {
  run(): Promise<void>;
  /** Platform calls so far: a steady pass makes none. */
  platformCalls(): number;
}

/**
 * The manager's real reconcile pass (FleetRegistry, HealthProber, Reconciler with the margin
 * policy and the metrics) over the given health endpoints, built as Nest builds it, with settings
 * under which a fleet of exactly these healthy servers is steady: no launch, no drain, no stop.
 */
export async function managerPass(addresses: readonly string[], concurrency: number): Promise<ManagerPass> {
  // Nest's logger would print every launching -> ready change of the first pass.
  Logger.overrideLogger(['error']);
  const settings = validateSettings({
    MIN_SERVERS: String(addresses.length),
    MAX_SERVERS: String(addresses.length),
    PROBE_CONCURRENCY: String(concurrency),
  });
  const platform = new BenchPlatform(
    addresses.map((address, index) => ({ id: `bench-${index}`, address, probeAddress: address, version: 'bench', outdated: false, platformIds: {} })),
  );
  const registry = new FleetRegistry(settings);
  const adaptive = new AdaptiveMargin(bootPriorMs(settings.PLATFORM, settings.ECS_LAUNCH_TYPE));
  const prober = new HealthProber(settings);
  const reconciler = new Reconciler(registry, prober, platform, new PolicyTuning(settings), new FleetMetrics(settings), adaptive, settings, new DemandRecord(), new FleetHistory(), new LaunchWatch(registry, prober, settings));
  registry.rebuild(await platform.discover(), Date.now());
  const discoveryCalls = platform.calls;
  return {
    async run() {
      const decision = await reconciler.runPass();
      const notReady = registry.snapshot(Date.now()).filter((server) => server.state !== 'ready').length;
      if (notReady > 0) throw new Error(`${notReady} of ${addresses.length} servers not ready after a pass`);
      if (decision.actions.length > 0) throw new Error(`a steady fleet got actions: ${JSON.stringify(decision.actions.slice(0, 3))}`);
    },
    platformCalls: () => platform.calls - discoveryCalls,
  };
}
