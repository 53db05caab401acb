import { Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Settings } from '../config/settings';
import { FleetDiscovery } from '../fleet/fleet-discovery.service';
import { Reconciler } from './reconciler.service';

/** Even SLEEP_TIME=0 leaves this much between passes, so the manager never spins. */
export const MIN_PASS_GAP_MS = 100;
const TIMER_NAME = 'reconcile-pass';

/**
 * Runs reconcile passes one after the other, SLEEP_TIME apart, never two at once. A pass asked
 * for while one runs (an allocation that found no room) starts as soon as it ends.
 */
@Injectable()
export class ReconcileLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReconcileLoop.name);
  private readonly gapMs: number;
  private running?: Promise<void>;
  private passRequested = false;
  private started = false;
  private stopped = false;
  /** Callers waiting for the next pass to start and finish. */
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly reconciler: Reconciler,
    private readonly discovery: FleetDiscovery,
    private readonly scheduler: SchedulerRegistry,
    settings: Settings,
  ) {
    this.gapMs = Math.max(settings.SLEEP_TIME * 1000, MIN_PASS_GAP_MS);
  }

  onApplicationBootstrap(): void {
    void this.discovery.whenRebuilt().then(
      () => {
        this.started = true;
        this.requestPass();
      },
      () => undefined,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    while (this.running) await this.running;
    for (const resolve of this.waiting.splice(0)) resolve();
    await this.reconciler.settle();
  }

  /** Starts a pass now, or right after the one that is running. */
  requestPass(): void {
    if (!this.started || this.stopped) return;
    if (this.running) {
      this.passRequested = true;
      return;
    }
    this.clearTimer();
    this.running = this.runOnce();
  }

  /** Runs a pass as soon as possible; resolves once a pass that started after this call has finished. */
  passNow(): Promise<void> {
    if (!this.started || this.stopped) return Promise.reject(new Error('the reconcile loop is not running'));
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.requestPass();
    });
  }

  private async runOnce(): Promise<void> {
    const waiters = this.waiting.splice(0);
    try {
      await this.reconciler.runPass();
    } catch (error) {
      this.logger.error(`reconcile pass failed: ${String(error)}`);
    } finally {
      for (const resolve of waiters) resolve();
      this.running = undefined;
      if (!this.stopped) {
        if (this.passRequested) {
          this.passRequested = false;
          this.running = this.runOnce();
        } else {
          this.scheduleNext();
        }
      }
    }
  }

  private scheduleNext(): void {
    this.clearTimer();
    this.scheduler.addTimeout(TIMER_NAME, setTimeout(() => this.requestPass(), this.gapMs));
  }

  private clearTimer(): void {
    if (this.scheduler.doesExist('timeout', TIMER_NAME)) this.scheduler.deleteTimeout(TIMER_NAME);
  }
}
