import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { BehaviorSubject, distinctUntilChanged, Observable } from 'rxjs';
import { Settings } from '../config/settings';
import { ActingFence } from '../lifecycle/acting-fence';
import { FleetMetrics } from '../metrics/fleet-metrics';
import { actingUntil, nextLeaseStep, ObservedLease } from './lease-decision';
import { LeaseRecord } from './lease-record';
import { LEASE_STORE, LeaseStore } from './lease-store';

export type ManagerRole = 'leader' | 'standby';

/** This manager's place among the managers of its fleet, for /fleet and logs. */
export interface LeadershipStatus {
  readonly role: ManagerRole;
  /** This manager. */
  readonly id: string;
  /** The holder of the lease as last seen; undefined when none was. */
  readonly leader?: string;
  /** Where the lease is; undefined when the manager is alone by configuration. */
  readonly lease?: string;
  /** A leader: milliseconds its lease still lets it act, unless renewed. */
  readonly actingForMs?: number;
}

/**
 * One acting manager per fleet. The managers share a lease (LEASE_STORE): the one holding it is the
 * leader and renews it every LEASE_RENEW_INTERVAL; the others are standbys and look at it every
 * LEASE_ACQUIRE_INTERVAL, taking it once it is released or left unrenewed for its whole duration
 * (nextLeaseStep). The leader may act (the fence) only up to a safety share short of the lease's
 * end as measured from its last renewal, so that a leader cut off from the store has stopped
 * before a standby can take over. A leader that shuts down releases the lease once its changes
 * in flight have landed, and a standby takes over within LEASE_ACQUIRE_INTERVAL.
 */
@Injectable()
export class Leadership implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(Leadership.name);
  readonly id = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private readonly roleSubject = new BehaviorSubject<ManagerRole>('standby');
  /** The role now and at each change; a subscriber gets the current one at once. */
  readonly roles: Observable<ManagerRole> = this.roleSubject.pipe(distinctUntilChanged());
  private readonly durationMs: number;
  /** The token of the lease this manager last wrote, while it may still be its own. */
  private ownToken?: string;
  private observed?: ObservedLease;
  private leaderSeen?: string;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopped = false;
  private lastProblem?: string;
  private firstLook!: () => void;
  private readonly looked = new Promise<void>((resolve) => (this.firstLook = resolve));
  /**
   * Counts the spells in which this manager led while nobody else could have: a new one when it
   * takes a lease that was free or expired, not when it renews its own after failed renewals
   * (nobody held the lease in between, so what it knew of the fleet still holds).
   */
  private termCount = 0;
  /** A renewal whose outcome is unknown (the store did not answer): the store may hold its token now. */
  private uncertain?: { readonly token: string; readonly sentAt: number };

  constructor(
    @Inject(LEASE_STORE) private readonly store: LeaseStore | null,
    private readonly fence: ActingFence,
    private readonly settings: Settings,
    private readonly metrics: FleetMetrics,
  ) {
    this.durationMs = settings.LEASE_DURATION * 1000;
  }

  get role(): ManagerRole {
    return this.roleSubject.value;
  }

  /** The current leadership term of this manager (0 before it first leads); a new one at each takeover. */
  get term(): number {
    return this.termCount;
  }

  /** Resolves once this manager has looked at the lease once (taken it or not, or failed to reach the store). */
  whenDecided(): Promise<void> {
    return this.looked;
  }

  /** The leader, and its lease still lets it act now. */
  get isLeader(): boolean {
    return this.role === 'leader' && this.fence.mayAct();
  }

  status(): LeadershipStatus {
    const actingForMs = this.role === 'leader' && this.store ? Math.max(0, Math.round(this.fence.actingUntil() - performance.now())) : undefined;
    return { role: this.role, id: this.id, leader: this.leaderSeen, lease: this.store?.description, actingForMs };
  }

  onApplicationBootstrap(): void {
    if (!this.store) {
      this.logger.warn(
        'LEASE_TABLE is not set: this manager acts alone. Two managers on one fleet (an ECS rolling deployment that starts the new task before stopping the old, or a second task) would both launch and stop servers; set LEASE_TABLE to run them safely',
      );
      this.fence.openUntil(Infinity);
      this.leaderSeen = this.id;
      this.become('leader', 'it is alone by configuration', true);
      this.firstLook();
      return;
    }
    this.logger.log(`leader lease in ${this.store.description}; this manager is ${this.id}`);
    this.schedule(0);
  }

  /** Shutting down: a leader stops acting, waits for its changes in flight, and releases the lease for a standby. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    const token = this.ownToken;
    this.stepDown('it is shutting down');
    if (!this.store || token === undefined) return;
    this.ownToken = undefined;
    const expires = `a standby takes the lease once it expires, within ${this.durationMs} ms`;
    // A change still in flight could land after a standby took over: then the lease is left to expire instead.
    if (!(await this.fence.settled(this.settings.AWS_REQUEST_TIMEOUT * 1000))) {
      this.logger.warn(`changes of this manager were still in flight at shutdown; the lease is not released: ${expires}`);
      return;
    }
    try {
      if (await this.store.remove(token)) this.logger.log('leader lease released for a standby to take');
      else this.logger.warn('the leader lease was no longer this manager’s to release');
    } catch (error) {
      this.logger.warn(`the leader lease could not be released (${String(error)}); ${expires}`);
    }
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const renewing = this.ownToken !== undefined;
    try {
      if (this.ownToken !== undefined) await this.renew(this.ownToken);
      else await this.lookForLease();
      this.problem(undefined);
    } catch (error) {
      if (renewing) this.metrics.leaseRenewalFailed();
      this.problem(`the lease store (${this.store?.description}) failed: ${String(error)}`);
    }
    if (this.role === 'leader' && !this.fence.mayAct()) this.stepDown(`its lease was not renewed in time and may pass to another manager`);
    this.firstLook();
    if (!this.stopped) this.schedule((this.ownToken !== undefined ? this.settings.LEASE_RENEW_INTERVAL : this.settings.LEASE_ACQUIRE_INTERVAL) * 1000);
  }

  private async renew(token: string): Promise<void> {
    const sentAt = performance.now();
    const next = this.newRecord();
    let accepted: boolean;
    try {
      accepted = await this.store!.write(next, token);
    } catch (error) {
      // The store may have applied it: the next renewal tries this token too.
      this.uncertain = { token: next.token, sentAt };
      throw error;
    }
    // The renewal before this one was applied after all, unanswered: the lease is still this manager's, under that token.
    if (!accepted && this.uncertain) {
      const { token: maybe } = this.uncertain;
      this.uncertain = undefined;
      accepted = await this.store!.write(next, maybe);
    }
    this.uncertain = undefined;
    if (!accepted) {
      this.ownToken = undefined;
      this.metrics.leaseRenewalFailed();
      this.stepDown('another manager holds the lease now');
      return;
    }
    this.ownToken = next.token;
    this.fence.openUntil(actingUntil(sentAt, this.durationMs));
    if (this.role !== 'leader') {
      this.metrics.tookOver('own', undefined);
      this.become('leader', 'it renewed its own lease again', false);
    }
  }

  private async lookForLease(): Promise<void> {
    const record = await this.store!.read();
    this.leaderSeen = record?.holder;
    const step = nextLeaseStep(record, this.observed, performance.now(), this.durationMs);
    if (step.kind === 'wait') {
      this.observed = step.observed;
      return;
    }
    const sentAt = performance.now();
    const mine = this.newRecord();
    const lastSign = this.observed?.since;
    this.observed = undefined;
    // Another standby took it first: look again next time.
    if (!(await this.store!.write(mine, step.expected))) return;
    this.ownToken = mine.token;
    this.fence.openUntil(actingUntil(sentAt, this.durationMs));
    this.leaderSeen = this.id;
    this.metrics.tookOver(record ? 'expired' : 'free', lastSign === undefined ? undefined : (sentAt - lastSign) / 1000);
    this.become('leader', record ? `the lease of ${record.holder} went unrenewed for ${record.durationMs ?? this.durationMs} ms` : 'the lease was free', true);
  }

  private newRecord(): LeaseRecord {
    return { holder: this.id, token: randomUUID(), durationMs: this.durationMs, renewedAt: new Date().toISOString() };
  }

  private stepDown(why: string): void {
    this.fence.close();
    if (this.role === 'leader') this.become('standby', why, false);
  }

  private become(role: ManagerRole, why: string, newTerm: boolean): void {
    this.logger.log(role === 'leader' ? `this manager leads the fleet now: ${why}` : `this manager is a standby now: ${why}`);
    this.metrics.leading(role === 'leader');
    if (newTerm) this.termCount += 1;
    this.roleSubject.next(role);
  }

  /** Logs a failure of the store once, until it changes or the store answers again. */
  private problem(message: string | undefined): void {
    if (message === this.lastProblem) return;
    if (message) this.logger.warn(message);
    else this.logger.log(`the lease store (${this.store?.description}) answers again`);
    this.lastProblem = message;
  }
}
