import { actingUntil, nextLeaseStep, ObservedLease } from '../../src/leadership/lease-decision';
import { LeaseRecord, unreadableRecord } from '../../src/leadership/lease-record';

const lease = (token: string, durationMs = 10_000): LeaseRecord => ({ holder: 'other/1/abc', token, durationMs, renewedAt: '2026-12-01T00:00:00.000Z' });
const seen = (token: string, since: number): ObservedLease => ({ token, since });

describe('what a manager without the lease does with what the store shows (nextLeaseStep)', () => {
  it.each<[string, LeaseRecord | undefined, ObservedLease | undefined, number, ReturnType<typeof nextLeaseStep>]>([
    ['no lease at all: take it, on the condition that there is still none', undefined, undefined, 5_000, { kind: 'take', expected: undefined }],
    ['no lease, though one was watched (released): take it', undefined, seen('t1', 0), 100, { kind: 'take', expected: undefined }],
    ['a lease never seen before: start watching it now', lease('t1'), undefined, 5_000, { kind: 'wait', observed: seen('t1', 5_000) }],
    ['a renewed lease (new token): watch it from now, not from the old one', lease('t2'), seen('t1', 0), 9_000, { kind: 'wait', observed: seen('t2', 9_000) }],
    ['the same token for less than its duration: keep waiting from when it was first seen', lease('t1'), seen('t1', 1_000), 10_999, { kind: 'wait', observed: seen('t1', 1_000) }],
    ['the same token for its whole duration: take it, on the condition that it is still that token', lease('t1'), seen('t1', 1_000), 11_000, { kind: 'take', expected: 't1' }],
    ['the holder’s duration counts, not this manager’s (a deployment that changes LEASE_DURATION)', lease('t1', 30_000), seen('t1', 0), 20_000, { kind: 'wait', observed: seen('t1', 0) }],
    ['a short lease of the holder is taken after its own duration', lease('t1', 3_000), seen('t1', 0), 3_000, { kind: 'take', expected: 't1' }],
    ['an unreadable record is held, not free: watched first', unreadableRecord('u1'), undefined, 500, { kind: 'wait', observed: seen('u1', 500) }],
    ['an unreadable record is waited on for this manager’s own duration', unreadableRecord('u1'), seen('u1', 0), 9_999, { kind: 'wait', observed: seen('u1', 0) }],
    ['an unreadable record unchanged for this manager’s duration is replaced, on the condition that it is unchanged', unreadableRecord('u1'), seen('u1', 0), 10_000, { kind: 'take', expected: 'u1' }],
  ])('%s', (_case, record, observed, now, expected) => {
    expect(nextLeaseStep(record, observed, now, 10_000)).toEqual(expected);
  });
});

describe('how long a leader may act on its lease (actingUntil)', () => {
  it.each([
    [0, 10_000, 8_000],
    [5_000, 10_000, 13_000],
    [1_000, 2_000, 2_600],
  ])('a write sent at %d ms of a %d ms lease lets it act until %d ms', (sentAt, durationMs, until) => {
    expect(actingUntil(sentAt, durationMs)).toBe(until);
  });

  it('always stops before a standby that first saw the token after it was sent can take it', () => {
    for (const durationMs of [2_000, 10_000, 60_000]) {
      const sentAt = 1_000;
      const standbyFirstSawIt = sentAt; // the earliest possible: the write arrives the instant it is sent
      expect(actingUntil(sentAt, durationMs)).toBeLessThan(standbyFirstSawIt + durationMs);
    }
  });
});
