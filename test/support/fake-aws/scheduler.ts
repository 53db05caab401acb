import { FakeAwsClosedError } from './aws-errors';

/**
 * Real timers that the fake can cancel all at once: whatever it scheduled (boots, registrations,
 * status changes, latency) must neither fire nor hold the test process open after `close()`.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<() => void>();
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs `action` after `ms`, unless the scheduler is closed first. */
  after(ms: number, action: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  /** Resolves after `ms`; rejects with FakeAwsClosedError if the scheduler is closed meanwhile. */
  sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.reject(new FakeAwsClosedError());
    return new Promise((resolve, reject) => {
      const abort = () => {
        clearTimeout(timer);
        reject(new FakeAwsClosedError());
      };
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.sleepers.delete(abort);
        resolve();
      }, ms);
      this.timers.add(timer);
      this.sleepers.add(abort);
    });
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const abort of this.sleepers) abort();
    this.sleepers.clear();
  }
}
