import { Injectable } from '@nestjs/common';

/**
 * The share of a lease a leader leaves unused at its end, for a change sent just before to land
 * before anyone else can act. AWS calls that change something must connect within it (see
 * awsClientConfig); a call that reached AWS but that AWS takes longer to apply is not covered.
 */
export const ACTING_MARGIN_SHARE = 0.2;

/** A change to the fleet refused because this manager may not act now (a standby, or a leader whose lease may have passed). */
export class NotActingError extends Error {
  constructor(operation: string) {
    super(`${operation} refused: this manager does not hold the leader lease`);
    this.name = 'NotActingError';
  }
}

/**
 * The one gate every change to the fleet passes (launch, stop, drain, tag, sweep): open only while
 * this manager provably holds the leader lease by its own clock. The leadership opens it up to a
 * moment short of the lease's end; it closes by itself when that moment passes, renewed or not,
 * so a leader cut off from the lease store stops acting before anyone else can take over.
 * Calls let through are counted, so that a leader giving the lease up waits for them first.
 */
@Injectable()
export class ActingFence {
  /** performance.now() up to which changes are allowed. */
  private until = 0;
  private inFlight = 0;
  private idle: Array<() => void> = [];

  /** performance.now() up to which changes are allowed now; 0 when closed. */
  actingUntil(): number {
    return this.until;
  }

  mayAct(): boolean {
    return performance.now() < this.until;
  }

  /** Allows changes until `until` (performance.now() clock); Infinity for a manager that is alone by configuration. */
  openUntil(until: number): void {
    this.until = until;
  }

  close(): void {
    this.until = 0;
  }

  /** Runs a change to the fleet, if this manager may act now; else refuses it with NotActingError. */
  async guard<T>(operation: string, change: () => Promise<T>): Promise<T> {
    this.check(operation);
    this.inFlight += 1;
    try {
      return await change();
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  /** Throws NotActingError unless this manager may act now; for a change that is made at once. */
  check(operation: string): void {
    if (!this.mayAct()) throw new NotActingError(operation);
  }

  /** Resolves true once no change let through is still in flight, or false after `timeoutMs` with some still in flight. */
  async settled(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      new Promise<boolean>((resolve) => this.idle.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return settled;
  }
}
