import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Subscription } from 'rxjs';
import { Settings } from '../config/settings';
import { FleetDiscovery } from '../fleet/fleet-discovery.service';
import { MIN_PASS_GAP_MS, passGapMs } from './pass-gap';
import { Reconciler } from './reconciler.service';

const TIMER_NAME = 'reconcile-pass';

/**
 * Runs reconcile passes one after the other, SLEEP_TIME apart, never two at once, while this
 * manager leads the fleet (and has rebuilt it since it became the leader): a standby runs none. A pass asked
 * for (an allocation that found no room) comes sooner, but never sooner after the last one than
 * MIN_PASS_GAP_MS or the last pass's own length: at MAX_SERVERS, in back-off or in a spike every
 * allocation asks, and the fleet would otherwise be probed without pause.
 */
@Injectable()
export class ReconcileLoop implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReconcileLoop.name);
  private readonly gapMs: number;
  private running?: Promise<void>;
  private passRequested = false;
  private started = false;
  private stopped = false;
  private acting?: Subscription;
  /** When the timer of the next pass fires. */
  private nextAt = Infinity;
  private lastEndedAt = -Infinity;
  private lastLengthMs = 0;
  /** Callers waiting for the next pass to start and finish. */
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly reconciler: Reconciler,
    private readonly discovery: FleetDiscovery,
    private readonly scheduler: SchedulerRegistry,
    settings: Settings,
  ) {
    this.gapMs = passGapMs(settings.SLEEP_TIME);
  }

  onApplicationBootstrap(): void {
    this.acting = this.discovery.acting.subscribe((acting) => {
      this.started = acting && !this.stopped;
      if (!this.started) {
        this.clearTimer();
        // No pass is coming for those waiting on one; they learn the outcome from the decision log.
        for (const resolve of this.waiting.splice(0)) resolve();
        return;
      }
      if (this.running) this.passRequested = true;
      else this.startPass();
    });
  }

  /** Shutting down: no pass starts after this, so the manager acts no more. */
  onModuleDestroy(): void {
    this.stopped = true;
    this.acting?.unsubscribe();
    this.clearTimer();
  }

  /**
   * The pass that runs ends (its probes are bounded by PROBE_TIMEOUT). Actions in flight are not
   * waited for: a launch may take minutes, and the next manager finds what it left on the platform.
   */
  async beforeApplicationShutdown(): Promise<void> {
    while (this.running) await this.running;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  /** Starts a pass as soon as the gap after the last one allows, or right after the one that is running. */
  requestPass(): void {
    if (!this.started || this.stopped) return;
    if (this.running) {
      this.passRequested = true;
      return;
    }
    this.startAt(this.lastEndedAt + Math.max(MIN_PASS_GAP_MS, this.lastLengthMs));
  }

  /** Runs a pass as soon as possible; resolves once a pass that started after this call has finished. */
  passNow(): Promise<void> {
    if (!this.started || this.stopped) return Promise.reject(new Error('the reconcile loop is not running (a standby, or shutting down)'));
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.requestPass();
    });
  }

  private startPass(): void {
    this.clearTimer();
    this.running = this.runOnce();
  }

  private async runOnce(): Promise<void> {
    const waiters = this.waiting.splice(0);
    const started = Date.now();
    try {
      await this.reconciler.runPass();
    } catch (error) {
      this.logger.error(`reconcile pass failed: ${String(error)}`);
    } finally {
      for (const resolve of waiters) resolve();
      this.running = undefined;
      this.lastEndedAt = Date.now();
      this.lastLengthMs = this.lastEndedAt - started;
      if (this.started && !this.stopped) {
        this.startAt(this.lastEndedAt + this.gapMs);
        if (this.passRequested) {
          this.passRequested = false;
          this.requestPass();
        }
      }
    }
  }

  /** The next pass starts at `at`, unless one is due sooner already. */
  private startAt(at: number): void {
    if (at >= this.nextAt) return;
    const delay = at - Date.now();
    if (delay <= 0) return this.startPass();
    this.clearTimer();
    this.nextAt = at;
    this.scheduler.addTimeout(TIMER_NAME, setTimeout(() => this.startPass(), delay));
  }

  private clearTimer(): void {
    this.nextAt = Infinity;
    if (this.scheduler.doesExist('timeout', TIMER_NAME)) this.scheduler.deleteTimeout(TIMER_NAME);
  }
}
