import { Logger } from '@nestjs/common';

/** What a lookup learned about one awaited resource: it is there, or it never will be. */
export type PollOutcome<T> = { readonly value: T } | { readonly error: Error };

/** Answers, for the keys asked about, those that have an outcome; the others are not there yet. */
export type Lookup<T> = (keys: string[]) => Promise<Map<string, PollOutcome<T>>>;

interface Waiter<T> {
  readonly what: string;
  readonly since: number;
  readonly deadline: number;
  /** When this wait next needs a lookup. */
  nextAt: number;
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
}

/** How many recent waits the expected wait is learned from. */
const LEARNED_FROM = 5;

/**
 * Waits for AWS resources to reach a state (instances joining the cluster, tasks running), for all
 * the launches in flight with one lookup per poll instead of one per launch, and only from when
 * they can be expected there.
 *
 * - Shared: a scale-up of 20 servers polls ECS as often as a launch of one, so that it is not
 *   throttled, and each launch's share of the calls shrinks as more launch together.
 * - Learned: a new wait's first lookup comes when the shortest of the last waits of its kind
 *   ended (an instance takes about a minute to join; polling from the first second wastes a
 *   dozen calls), then every `intervalMs`. Until a wait has ended, it is every `intervalMs`.
 */
export class SharedPoll<T> {
  private readonly waiters = new Map<string, Waiter<T>>();
  private readonly recentWaitsMs: number[] = [];
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly intervalMs: number,
    private readonly lookup: Lookup<T>,
    private readonly logger: Logger,
  ) {}

  /** Resolves with the resource `key` once a lookup finds it; rejects if it never will be there, or at `deadline`. */
  wait(key: string, what: string, deadline: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const since = Date.now();
      const expectedMs = this.recentWaitsMs.length > 0 ? Math.min(...this.recentWaitsMs) : this.intervalMs;
      this.waiters.set(key, { what, since, deadline, nextAt: Math.min(since + expectedMs, deadline), resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.polling || this.waiters.size === 0) return;
    clearTimeout(this.timer);
    const nextAt = Math.min(...[...this.waiters.values()].map((waiter) => waiter.nextAt));
    this.timer = setTimeout(() => void this.poll(), Math.max(0, nextAt - Date.now()));
  }

  private async poll(): Promise<void> {
    this.polling = true;
    // Every wait rides along: once a call is made, asking about more resources in it is free.
    const asked = [...this.waiters.keys()];
    try {
      const outcomes = await this.lookup(asked);
      for (const [key, outcome] of outcomes) this.settle(key, outcome);
    } catch (error) {
      this.logger.warn({ err: error }, `waiting for ${asked.length} AWS resource(s): ${(error as Error).name}; trying again`);
    } finally {
      this.polling = false;
    }
    const now = Date.now();
    for (const key of asked) {
      const waiter = this.waiters.get(key);
      if (!waiter) continue;
      if (now + this.intervalMs > waiter.deadline) this.settle(key, { error: new Error(`gave up waiting for ${waiter.what}`) });
      else waiter.nextAt = now + this.intervalMs;
    }
    this.schedule();
  }

  private settle(key: string, outcome: PollOutcome<T>): void {
    const waiter = this.waiters.get(key);
    if (!waiter) return;
    this.waiters.delete(key);
    if ('error' in outcome) return waiter.reject(outcome.error);
    this.recentWaitsMs.push(Date.now() - waiter.since);
    if (this.recentWaitsMs.length > LEARNED_FROM) this.recentWaitsMs.shift();
    waiter.resolve(outcome.value);
  }
}
