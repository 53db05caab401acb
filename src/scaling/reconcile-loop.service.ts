import { Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Settings } from '../config/settings';
import { FleetDiscovery } from '../fleet/fleet-discovery.service';
import { Reconciler } from './reconciler.service';
import { ScalingDecision } from './scaling-action';

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
  private passes = 0;
  private last?: ScalingDecision;

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

  get completedPasses(): number {
    return this.passes;
  }

  get lastDecision(): ScalingDecision | undefined {
    return this.last;
  }

  private async runOnce(): Promise<void> {
    try {
      this.last = await this.reconciler.runPass();
    } catch (error) {
      this.logger.error(`reconcile pass failed: ${String(error)}`);
    } finally {
      this.passes += 1;
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
