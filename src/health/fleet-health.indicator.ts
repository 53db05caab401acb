import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { FleetDiscovery } from '../fleet/fleet-discovery.service';
import { FleetRegistry } from '../fleet/fleet.registry';
import { Leadership } from '../leadership/leadership.service';
import { ManagerLifecycle } from '../lifecycle/manager-lifecycle';
import { GAME_SERVER_PLATFORM, GameServerPlatform } from '../platform/game-server-platform';
import { Reconciler } from '../scaling/reconciler.service';

const PLATFORM_CHECK_TIMEOUT_MS = 3000;
/** Readiness is polled often; the platform (AWS, for ECS) is asked at most this often. */
const PLATFORM_CHECK_CACHE_MS = 10_000;

@Injectable()
export class FleetHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly registry: FleetRegistry,
    @Inject(GAME_SERVER_PLATFORM) private readonly platform: GameServerPlatform,
    private readonly lifecycle: ManagerLifecycle,
    private readonly reconciler: Reconciler,
    private readonly leadership: Leadership,
    private readonly discovery: FleetDiscovery,
  ) {}

  /** Down for a standby (and a leader still rebuilding the fleet), so that a load balancer sends game clients to the acting leader only. */
  role() {
    const check = this.indicators.check('role');
    const { leader } = this.leadership.status();
    if (this.discovery.isActing) return check.up({ role: 'leader' });
    if (this.leadership.isLeader) return check.down({ role: 'leader', message: 'this manager has just taken the lease and rebuilds the fleet before it serves' });
    return check.down({ role: 'standby', leader, message: 'this manager is a standby: it changes nothing and hands out no place until it takes the lease' });
  }

  serving() {
    const check = this.indicators.check('serving');
    return this.lifecycle.serving ? check.up() : check.down({ message: 'the manager is shutting down and hands out no place' });
  }

  /**
   * Up even in a probe outage: the manager still serves the servers that answer, and failing
   * readiness would take those from the players too. The outage shows in the details instead.
   */
  probes() {
    const outage = this.reconciler.probeOutage();
    const check = this.indicators.check('probes');
    if (!outage) return check.up({ outage: false });
    return check.up({
      outage: true,
      failing: outage.figures.failing,
      of: outage.figures.of,
      since: new Date(outage.since).toISOString(),
      message: 'most servers fail their probes at once: suspecting the manager itself; nothing is stopped, launched or drained for it',
    });
  }

  fleetRebuilt() {
    const check = this.indicators.check('fleet');
    return this.registry.isRebuilt
      ? check.up({ servers: this.registry.size })
      : check.down({ message: `the fleet is not rebuilt from the ${this.platform.name} platform yet` });
  }

  platformAnswers() {
    return this.indicators
      .check('platform')
      .attempt(async () => {
        await this.platform.ping();
        return { name: this.platform.name };
      })
      .withTimeout(PLATFORM_CHECK_TIMEOUT_MS)
      .cacheFor(PLATFORM_CHECK_CACHE_MS);
  }
}
