import { Logger } from '@nestjs/common';

/** What a lookup learned about one awaited resource: it is there, or it never will be. */
export type PollOutcome<T> = { readonly value: T } | { readonly error: Error };

/** Answers, for the keys asked about, those that have an outcome; the others are not there yet. */
export type Lookup<T> = (keys: string[]) => Promise<Map<string, PollOutcome<T>>>;

interface Waiter<T> {
  readonly what: string;
  readonly since: number;
  /** When this wait next needs a lookup. */
  nextAt: number;
  /** Lookups that asked about it so far. */
  lookups: number;
  /** Settles the wait at its deadline, even while a lookup hangs. */
  readonly deadlineTimer: NodeJS.Timeout;
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
}

interface EndedWait {
  readonly waitedMs: number;
  /** Found by its first lookup: the resource may have been there well before. */
  readonly foundAtOnce: boolean;
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
 *   A wait found by its first lookup says only that the resource came no later: when the last
 *   five all were, the next wait looks one interval earlier, so that the expectation can come
 *   down when resources get faster, at the cost of one call in five.
 */
export class SharedPoll<T> {
  private readonly waiters = new Map<string, Waiter<T>>();
  private readonly recent: EndedWait[] = [];
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly intervalMs: number,
    private readonly lookup: Lookup<T>,
    private readonly logger: Logger,
  ) {}

  /** Resolves with the resource `key` once a lookup finds it; rejects if it never will be there, or at `deadline`. */
  wait(key: string, what: string, deadline: number): Promise<T> {
    if (this.waiters.has(key)) return Promise.reject(new Error(`already waiting for ${what}`));
    return new Promise<T>((resolve, reject) => {
      const since = Date.now();
      const deadlineTimer = setTimeout(() => this.giveUp(key), Math.max(0, deadline - since));
      this.waiters.set(key, { what, since, nextAt: Math.min(since + this.expectedWaitMs(), deadline), lookups: 0, deadlineTimer, resolve, reject });
      this.schedule();
    });
  }

  private expectedWaitMs(): number {
    if (this.recent.length === 0) return this.intervalMs;
    const shortest = Math.min(...this.recent.map((wait) => wait.waitedMs));
    const mayBeSooner = this.recent.length === LEARNED_FROM && this.recent.every((wait) => wait.foundAtOnce);
    return Math.max(this.intervalMs, mayBeSooner ? shortest - this.intervalMs : shortest);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.polling || this.waiters.size === 0) return;
    const nextAt = Math.min(...[...this.waiters.values()].map((waiter) => waiter.nextAt));
    this.timer = setTimeout(() => void this.poll(), Math.max(0, nextAt - Date.now()));
  }

  private async poll(): Promise<void> {
    this.polling = true;
    // Every wait rides along: once a call is made, asking about more resources in it is free.
    const asked = [...this.waiters.keys()];
    for (const key of asked) (this.waiters.get(key) as Waiter<T>).lookups += 1;
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
      if (waiter) waiter.nextAt = now + this.intervalMs;
    }
    this.schedule();
  }

  /** At the deadline: a lookup may still find it, but nobody waits for it any more. */
  private giveUp(key: string): void {
    const waiter = this.waiters.get(key);
    if (waiter) this.settle(key, { error: new Error(`gave up waiting for ${waiter.what}`) });
  }

  private settle(key: string, outcome: PollOutcome<T>): void {
    const waiter = this.waiters.get(key);
    if (!waiter) return;
    this.waiters.delete(key);
    clearTimeout(waiter.deadlineTimer);
    if (this.waiters.size === 0) clearTimeout(this.timer);
    if ('error' in outcome) return waiter.reject(outcome.error);
    this.recent.push({ waitedMs: Date.now() - waiter.since, foundAtOnce: waiter.lookups === 1 });
    if (this.recent.length > LEARNED_FROM) this.recent.shift();
    waiter.resolve(outcome.value);
  }
}
