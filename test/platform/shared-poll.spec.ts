import { Logger } from '@nestjs/common';
import { PollOutcome, SharedPoll } from '../../src/platform/ecs/shared-poll';

const INTERVAL_MS = 20;

/**
 * Resources that appear at given times (ms after the test's start), looked up through a
 * recorded lookup: each call's keys and time.
 */
function world(appearAtMs: Record<string, number>, faults: { failCalls?: number[]; gone?: string[] } = {}) {
  const start = Date.now();
  const calls: { keys: string[]; atMs: number }[] = [];
  const poll = new SharedPoll<string>(
    INTERVAL_MS,
    async (keys) => {
      const atMs = Date.now() - start;
      calls.push({ keys: [...keys].sort(), atMs });
      if (faults.failCalls?.includes(calls.length)) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      const outcomes = new Map<string, PollOutcome<string>>();
      for (const key of keys) {
        if (faults.gone?.includes(key)) outcomes.set(key, { error: new Error(`${key} stopped`) });
        else if (atMs >= appearAtMs[key]) outcomes.set(key, { value: `${key}-there` });
      }
      return outcomes;
    },
    { warn: () => undefined } as unknown as Logger,
  );
  return { poll, calls, deadline: (ms: number) => start + ms };
}

describe('SharedPoll', () => {
  it('waits of many resources share one lookup per poll', async () => {
    const { poll, calls, deadline } = world({ a: 50, b: 50, c: 90 });
    const values = await Promise.all(['a', 'b', 'c'].map((key) => poll.wait(key, key, deadline(5_000))));
    expect(values).toEqual(['a-there', 'b-there', 'c-there']);
    expect(calls[0].keys).toEqual(['a', 'b', 'c']);
    // One call per interval for all three: about 90 / 20, not three times that.
    expect(calls.length).toBeLessThanOrEqual(7);
  });

  it('a new wait is first looked up when the shortest recent wait of its kind ended', async () => {
    const { poll, calls, deadline } = world({ first: 200, second: 0 });
    await poll.wait('first', 'first', deadline(5_000));
    const firstCalls = calls.length;
    const secondStarted = Date.now();
    await poll.wait('second', 'second', deadline(5_000));
    // Polled every 20 ms for 200 ms: about 10 calls.
    expect(firstCalls).toBeGreaterThanOrEqual(5);
    // The second resource was there from the start, but the lookup waited for the time the first one took.
    expect(calls.length).toBe(firstCalls + 1);
    expect(Date.now() - secondStarted).toBeGreaterThanOrEqual(190);
  });

  it('a failed lookup is tried again at the next poll', async () => {
    const { poll, calls, deadline } = world({ a: 0 }, { failCalls: [1, 2] });
    await expect(poll.wait('a', 'a', deadline(5_000))).resolves.toBe('a-there');
    expect(calls).toHaveLength(3);
  });

  it('a resource that will never be there fails its own wait only', async () => {
    const { poll, deadline } = world({ a: 40 }, { gone: ['b'] });
    const [a, b] = await Promise.allSettled([poll.wait('a', 'a', deadline(5_000)), poll.wait('b', 'b', deadline(5_000))]);
    expect(a).toEqual({ status: 'fulfilled', value: 'a-there' });
    expect(b).toMatchObject({ status: 'rejected', reason: new Error('b stopped') });
  });

  it('gives up at the deadline', async () => {
    const { poll, calls, deadline } = world({ a: 60_000 });
    const started = Date.now();
    await expect(poll.wait('a', 'instance a to join', deadline(100))).rejects.toThrow('gave up waiting for instance a to join');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    // Given up about when the next poll would pass the deadline, not a poll interval after it (or much later).
    expect(Date.now() - started).toBeLessThan(100 + 500);
  });
});
