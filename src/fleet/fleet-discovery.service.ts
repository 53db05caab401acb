import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { BehaviorSubject, distinctUntilChanged, Observable, Subscription } from 'rxjs';
import { Settings } from '../config/settings';
import { Leadership } from '../leadership/leadership.service';
import { GAME_SERVER_PLATFORM, GameServerPlatform } from '../platform/game-server-platform';
import { FleetRegistry } from './fleet.registry';

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * Rebuilds the registry from the platform at start-up, then resyncs it every ECS_RESYNC_INTERVAL,
 * beside the passes (never inside one): servers stopped by someone else leave, servers started by
 * someone else are adopted, and the platform sweeps what is provably abandoned. It runs behind
 * the listening server, so a platform that is down at start makes the manager unready (and
 * retried), not dead.
 *
 * A standby's view is read-only: the platform cleans and sweeps nothing for it (the fence says
 * whether it may). Each time this manager becomes the leader it rebuilds the fleet once more,
 * now cleaning up what the last leader left half-done, before its first pass.
 */
@Injectable()
export class FleetDiscovery implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FleetDiscovery.name);
  private readonly abort = new AbortController();
  private rebuilt!: Promise<void>;
  private roles?: Subscription;
  /** The leadership term in which the last discovery began, if it began as the leader. */
  private discoveredInTerm?: number;
  private readonly actingSubject = new BehaviorSubject(false);
  /** True once this manager leads and has rebuilt the fleet since it became the leader; false again as soon as it does not lead. */
  readonly acting: Observable<boolean> = this.actingSubject.pipe(distinctUntilChanged());

  private readonly resyncMs: number;

  constructor(
    private readonly registry: FleetRegistry,
    @Inject(GAME_SERVER_PLATFORM) private readonly platform: GameServerPlatform,
    private readonly leadership: Leadership,
    settings: Settings,
  ) {
    this.resyncMs = settings.ECS_RESYNC_INTERVAL * 1000;
  }

  onApplicationBootstrap(): void {
    // Once the role is known, so that a manager that leads from the start discovers once, cleaning up as it does.
    this.rebuilt = this.leadership.whenDecided().then(() => this.discoverUntilDone());
    this.rebuilt.then(() => this.resyncUntilShutdown(), () => undefined);
    this.roles = this.leadership.roles.subscribe((role) => {
      this.actingSubject.next(false);
      if (role !== 'leader') return;
      const term = this.leadership.term;
      this.rebuilt = this.rebuilt
        .catch(() => undefined)
        .then(() => (this.discoveredInTerm === term ? undefined : this.discoverUntilDone()))
        // The role, not the fence: a fence lapsed for a moment reopens with a renewal that changes no role, and safety is the fence's alone.
        .then(() => this.actingSubject.next(this.leadership.role === 'leader' && this.leadership.term === term && !this.abort.signal.aborted));
      // Given up only on shutdown; readiness and the loop learn of it through whenRebuilt and acting.
      this.rebuilt.catch(() => undefined);
    });
  }

  /** Shutting down: a discovery still being retried gives up, so that no pass starts after it. */
  onModuleDestroy(): void {
    this.roles?.unsubscribe();
    this.abort.abort();
  }

  /** This manager leads and has rebuilt the fleet since it took the lease: it may serve and act. */
  get isActing(): boolean {
    return this.actingSubject.value && this.leadership.isLeader;
  }

  /** Resolves once the registry holds the platform's fleet. */
  whenRebuilt(): Promise<void> {
    return this.rebuilt;
  }

  private async resyncUntilShutdown(): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      const waited = await sleep(this.resyncMs, true, { signal }).catch(() => false);
      if (!waited) return;
      try {
        const before = this.registry.beginResync();
        const { gone, adopted } = this.registry.resync(await this.platform.resync(), before, Date.now());
        if (gone.length > 0) this.logger.warn({ gone }, `${gone.length} server(s) no longer run on the ${this.platform.name} platform (stopped outside the manager, or lost with their host); forgotten`);
        if (adopted.length > 0) this.logger.log({ adopted }, `${adopted.length} server(s) found running on the ${this.platform.name} platform; adopted`);
      } catch (error) {
        this.logger.warn(`resync with the ${this.platform.name} platform failed, trying again in ${this.resyncMs} ms: ${String(error)}`);
      }
    }
  }

  private async discoverUntilDone(): Promise<void> {
    for (let delay = RETRY_MIN_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      this.discoveredInTerm = this.leadership.isLeader ? this.leadership.term : undefined;
      try {
        const found = await this.platform.discover();
        this.registry.rebuild(found, Date.now());
        const draining = found.filter((server) => server.drainingSince !== undefined).length;
        this.logger.log(`fleet rebuilt from the ${this.platform.name} platform: ${found.length} servers, ${draining} draining`);
        return;
      } catch (error) {
        this.logger.error(`discovery on the ${this.platform.name} platform failed, retrying in ${delay} ms: ${String(error)}`);
        await sleep(delay, undefined, { signal: this.abort.signal });
      }
    }
  }
}
