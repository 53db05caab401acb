import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Settings } from '../config/settings';

/**
 * Whether the manager still serves game clients. Shutting down begins with "no": before anything
 * else stops (Nest calls every module's destroy hook first), readiness fails and allocation
 * hands out no place, since no later probe of this manager would see the players arrive and
 * their places could be handed out twice. The listener then stays open SHUTDOWN_DELAY longer, so
 * that a load balancer polling readiness sees the 503 and sends clients elsewhere.
 */
@Injectable()
export class ManagerLifecycle implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(ManagerLifecycle.name);
  private stopping = false;

  constructor(private readonly settings: Settings) {}

  get serving(): boolean {
    return !this.stopping;
  }

  onModuleDestroy(): void {
    this.stopping = true;
    this.logger.log(`shutting down: readiness fails and no place is handed out; the listener closes in ${this.settings.SHUTDOWN_DELAY} s`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await sleep(this.settings.SHUTDOWN_DELAY * 1000);
  }
}
