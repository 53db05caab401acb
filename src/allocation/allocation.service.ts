import { Injectable } from '@nestjs/common';
import { Settings } from '../config/settings';
import { AllocationOutcome } from '../domain/allocation-outcome';
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

  /** One place for the client at `client` (its address): refused over the client's limits, else as allocate(). */
  async allocateFor(client: string): Promise<AllocationOutcome> {
    const waitSeconds = await this.limits.admit(client);
    if (waitSeconds === undefined) return this.allocate();
    this.metrics.allocationLimited();
    return { kind: 'limited', retryAfterSeconds: waitSeconds };
  }

  /** One place for one player: a fleet server if any has room, else the backup server, else none. */
  allocate(): AllocationOutcome {
    const started = performance.now();
    const outcome = this.choose();
    this.metrics.allocated(outcome.kind, (performance.now() - started) / 1000);
    return outcome;
  }

  private choose(): AllocationOutcome {
    // A manager shutting down probes no more: a place it handed out now could be handed out again.
    if (!this.lifecycle.serving) return this.noRoom(DEFAULT_RETRY_AFTER_SECONDS);
    // A standby's places are not the leader's: handing them out would give the same place twice.
    if (!this.discovery.isActing) return this.settings.BACKUP_GAMESERVER ? this.noRoom(DEFAULT_RETRY_AFTER_SECONDS) : { kind: 'standby' };
    const now = Date.now();
    const { allocation, freeLeft, launching, firstLaunchedAt } = this.registry.allocate(now);
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
