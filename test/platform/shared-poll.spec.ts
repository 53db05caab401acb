import { Logger } from '@nestjs/common';
import { PollOutcome, SharedPoll } from '../../src/platform/ecs/shared-poll';

const INTERVAL_MS = 100;

/**
 * Resources that appear at given times (ms after the test's start), looked up through a
 * recorded lookup: each call's keys and time. Time is Jest's fake clock, so the figures are exact.
 */
function world(appearAtMs: Record<string, number>, faults: { failCalls?: number[]; gone?: string[]; hangCalls?: number[] } = {}) {
  const start = Date.now();
  const calls: { keys: string[]; atMs: number }[] = [];
  const poll = new SharedPoll<string>(
    INTERVAL_MS,
    async (keys) => {
      const atMs = Date.now() - start;
      calls.push({ keys: [...keys].sort(), atMs });
      if (faults.failCalls?.includes(calls.length)) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      if (faults.hangCalls?.includes(calls.length)) return new Promise<never>(() => undefined);
      const outcomes = new Map<string, PollOutcome<string>>();
      for (const key of keys) {
        if (faults.gone?.includes(key)) outcomes.set(key, { error: new Error(`${key} stopped`) });
        else if (atMs >= appearAtMs[key]) outcomes.set(key, { value: `${key}-there` });
      }
      return outcomes;
    },
    { warn: () => undefined } as unknown as Logger,
  );
  const wait = (key: string, deadlineMs = 60_000) => poll.wait(key, key, start + deadlineMs);
  return { poll, calls, wait, appearAtMs, start };
}

/** Runs the fake clock until `promise` settles; answers how it settled. */
async function settled<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  const result = Promise.allSettled([promise]).then(([outcome]) => outcome);
  let done: PromiseSettledResult<T> | undefined;
  void result.then((outcome) => (done = outcome));
  while (!done) await jest.advanceTimersByTimeAsync(10);
  return done;
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('SharedPoll', () => {
  it('waits of many resources share one lookup per poll', async () => {
    const { calls, wait } = world({ a: 500, b: 500, c: 900 });
    const results = await Promise.all(['a', 'b', 'c'].map((key) => settled(wait(key))));
    expect(results.map((r) => r.status === 'fulfilled' && r.value)).toEqual(['a-there', 'b-there', 'c-there']);
    expect(calls[0].keys).toEqual(['a', 'b', 'c']);
    // One call per 100 ms for all three until c appears at 900 ms: 9, not three times as many.
    expect(calls.map((call) => call.atMs)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900]);
  });

  it('a new wait is first looked up when the shortest recent wait of its kind ended', async () => {
    const { calls, wait, start } = world({ first: 2000, second: 0 });
    await settled(wait('first'));
    expect(calls).toHaveLength(20);
    const secondFrom = Date.now() - start;
    await settled(wait('second'));
    // There from the start, but looked up once, 2,000 ms later: as long as the first one took.
    expect(calls.slice(20).map((call) => call.atMs - secondFrom)).toEqual([2000]);
  });

  it('after five waits found by their first lookup, the next one looks an interval earlier', async () => {
    const { calls, wait, appearAtMs } = world({ w0: 1000 });
    await settled(wait('w0'));
    // Resources now come at once: each wait is still first looked up after 1,000 ms, five times...
    for (let i = 1; i <= 5; i++) {
      appearAtMs[`w${i}`] = 0;
      const from = Date.now();
      await settled(wait(`w${i}`));
      expect(Date.now() - from).toBe(1000);
    }
    // ...then 100 ms earlier, and earlier again while they keep being there at once.
    const waited: number[] = [];
    for (let i = 6; i <= 8; i++) {
      appearAtMs[`w${i}`] = 0;
      const from = Date.now();
      await settled(wait(`w${i}`));
      waited.push(Date.now() - from);
    }
    expect(waited).toEqual([900, 800, 700]);
    expect(calls).toHaveLength(10 + 5 + 3);
  });

  it('a failed lookup is tried again at the next poll', async () => {
    const { calls, wait } = world({ a: 0 }, { failCalls: [1, 2] });
    expect(await settled(wait('a'))).toEqual({ status: 'fulfilled', value: 'a-there' });
    expect(calls.map((call) => call.atMs)).toEqual([100, 200, 300]);
  });

  it('a resource that will never be there fails its own wait only', async () => {
    const { wait } = world({ a: 400 }, { gone: ['b'] });
    const [a, b] = await Promise.all([settled(wait('a')), settled(wait('b'))]);
    expect(a).toEqual({ status: 'fulfilled', value: 'a-there' });
    expect(b).toMatchObject({ status: 'rejected', reason: new Error('b stopped') });
  });

  it('gives up at the deadline, even while a lookup hangs', async () => {
    const { wait, start } = world({ a: 60_000 }, { hangCalls: [3] });
    const outcome = await settled(wait('a', 1000));
    expect(outcome).toMatchObject({ status: 'rejected', reason: new Error('gave up waiting for a') });
    expect(Date.now() - start).toBeLessThanOrEqual(1010);
  });

  it('refuses a second wait for a resource already awaited', async () => {
    const { wait } = world({ a: 200 });
    const first = wait('a');
    await expect(wait('a')).rejects.toThrow('already waiting for a');
    expect(await settled(first)).toEqual({ status: 'fulfilled', value: 'a-there' });
  });
});
