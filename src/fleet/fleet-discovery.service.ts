import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Settings } from '../config/settings';
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
 */
@Injectable()
export class FleetDiscovery implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FleetDiscovery.name);
  private readonly abort = new AbortController();
  private rebuilt!: Promise<void>;

  private readonly resyncMs: number;

  constructor(
    private readonly registry: FleetRegistry,
    @Inject(GAME_SERVER_PLATFORM) private readonly platform: GameServerPlatform,
    settings: Settings,
  ) {
    this.resyncMs = settings.ECS_RESYNC_INTERVAL * 1000;
  }

  onApplicationBootstrap(): void {
    this.rebuilt = this.discoverUntilDone();
    this.rebuilt.then(() => this.resyncUntilShutdown(), () => undefined);
  }

  /** Shutting down: a discovery still being retried gives up, so that no pass starts after it. */
  onModuleDestroy(): void {
    this.abort.abort();
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
