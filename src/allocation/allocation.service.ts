import { Injectable } from '@nestjs/common';
import { Settings } from '../config/settings';
import { AllocationOutcome } from '../domain/allocation-outcome';
import { ClientKey } from '../domain/client-key';
import { FleetRegistry } from '../fleet/fleet.registry';
import { FleetDiscovery } from '../fleet/fleet-discovery.service';
import { ManagerLifecycle } from '../lifecycle/manager-lifecycle';
import { FleetMetrics } from '../metrics/fleet-metrics';
import { ReconcileLoop } from '../scaling/reconcile-loop.service';
import { Reconciler } from '../scaling/reconciler.service';
import { passGapMs } from '../scaling/pass-gap';
import { ClientLimits } from './client-limits';
import { DEFAULT_RETRY_AFTER_SECONDS, retryAfterSeconds } from './retry-after';

@Injectable()
export class AllocationService {
  constructor(
    private readonly registry: FleetRegistry,
    private readonly loop: ReconcileLoop,
    private readonly settings: Settings,
    private readonly metrics: FleetMetrics,
    private readonly lifecycle: ManagerLifecycle,
    private readonly discovery: FleetDiscovery,
    private readonly reconciler: Reconciler,
    private readonly limits: ClientLimits,
  ) {}

  /**
   * One place for one player asking as `client`: refused over the client's limits; the place it
   * holds already if it named itself and asks again (nothing more reserved, no demand counted);
   * else a fleet server if any has room, else the backup server, else none.
   */
  allocateFor(client: ClientKey): Promise<AllocationOutcome> {
    return this.limits.admit(client, (waitSeconds) => this.decide(client, waitSeconds));
  }

  private decide(client: ClientKey, waitSeconds: number | undefined): AllocationOutcome {
    const started = performance.now();
    const outcome: AllocationOutcome =
      waitSeconds === undefined ? this.choose(this.limits.keepsHoldsOf(client) ? client : undefined) : { kind: 'limited', limit: 'allocations_per_minute', retryAfterSeconds: waitSeconds };
    // A request over its limit chose and reserved nothing: it takes no time in the histogram.
    if (outcome.kind === 'limited') this.metrics.allocationLimited(outcome.limit);
    else this.metrics.allocated(outcome.kind, (performance.now() - started) / 1000);
    return outcome;
  }

  private choose(client: ClientKey | undefined): AllocationOutcome {
    // A manager shutting down probes no more: a place it handed out now could be handed out again.
    if (!this.lifecycle.serving) return this.noRoom(DEFAULT_RETRY_AFTER_SECONDS);
    // A standby's places are not the leader's: handing them out would give the same place twice.
    if (!this.discovery.isActing) return this.settings.BACKUP_GAMESERVER ? this.noRoom(DEFAULT_RETRY_AFTER_SECONDS) : { kind: 'standby' };
    const now = Date.now();
    if (client) {
      const holding = this.registry.holdingOf(client, now);
      // A retry after a lost answer costs no second place.
      if (holding.again) return { kind: 'server', ...holding.again };
      const waitSeconds = this.limits.overHeld(client, holding, now);
      if (waitSeconds !== undefined) return { kind: 'limited', limit: 'reserved_places', retryAfterSeconds: waitSeconds };
    }
    const { allocation, freeLeft, launching, firstLaunchedAt } = this.registry.allocate(now, client);
    const margins = this.reconciler.heldMargins();
    // Running low, or out of room, is exactly when the fleet should grow: do not wait for the next scheduled pass.
    if (!allocation || freeLeft + launching * this.settings.SERVER_CAPACITY < margins.upscaleMargin) this.loop.requestPass();
    if (allocation) return { kind: 'server', ...allocation };
    return this.noRoom(retryAfterSeconds(now, firstLaunchedAt, margins.estimate?.bootMs, passGapMs(this.settings.SLEEP_TIME)));
  }

  private noRoom(retryAfterSeconds: number): AllocationOutcome {
    const backup = this.settings.BACKUP_GAMESERVER;
    return backup ? { kind: 'backup', address: backup } : { kind: 'none', retryAfterSeconds };
  }

  /** Addresses of the servers that take players now. */
  acceptingServers(): string[] {
    return this.registry.acceptingAddresses();
  }
}
