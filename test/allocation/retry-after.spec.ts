import { DEFAULT_RETRY_AFTER_SECONDS, retryAfterSeconds } from '../../src/allocation/retry-after';

const NOW = 1_000_000;

describe('retryAfterSeconds: when a client that found no room should ask again', () => {
  it.each([
    { case: 'before any boot time is estimated: the default', firstLaunchedAt: undefined, bootMs: undefined, expected: DEFAULT_RETRY_AFTER_SECONDS },
    { case: 'a launch 2 s ago, boots of 10 s: in 8 s', firstLaunchedAt: NOW - 2_000, bootMs: 10_000, expected: 8 },
    { case: 'rounded up to whole seconds', firstLaunchedAt: NOW - 2_500, bootMs: 10_000, expected: 8 },
    { case: 'none launching: a pass, then a boot', firstLaunchedAt: undefined, bootMs: 4_000, expected: 5 },
    { case: 'a launch already overdue: at least 1 s', firstLaunchedAt: NOW - 60_000, bootMs: 10_000, expected: 1 },
    { case: 'an EC2 boot of 3 minutes: at most 60 s', firstLaunchedAt: NOW, bootMs: 180_000, expected: 60 },
  ])('$case', ({ firstLaunchedAt, bootMs, expected }) => {
    expect(retryAfterSeconds(NOW, firstLaunchedAt, bootMs, 1_000)).toBe(expected);
  });
});
