import { ACTING_MARGIN_SHARE } from '../lifecycle/acting-fence';
import { LeaseRecord } from './lease-record';

/** A lease held by another manager, as this one first saw it: the token, and when (this manager's monotonic clock, ms). */
export interface ObservedLease {
  readonly token: string;
  readonly since: number;
}

export type LeaseStep =
  /** Write this manager's lease if the store still holds `expected` (undefined: no lease at all). */
  | { readonly kind: 'take'; readonly expected: string | undefined }
  /** Someone else holds a live lease: wait, remembering when its current token was first seen. */
  | { readonly kind: 'wait'; readonly observed: ObservedLease };

/**
 * What a manager without the lease does with what the store shows. The lease is free when there
 * is none, and when its token has not changed for its whole duration as this manager has watched
 * it: the holder renews well within the duration, so it has stopped. Only this manager's own
 * clock measures that wait (the lease-client scheme of DynamoDB's lock client): wall clocks of
 * different hosts may disagree by any amount, a duration measured on one clock does not.
 *
 * Safety: the holder stops acting `margin` before `durationMs` after it sent the write of its
 * last token, and that write precedes this manager's first sight of the token, so the wait ends
 * after the holder has stopped.
 */
export function nextLeaseStep(record: LeaseRecord | undefined, observed: ObservedLease | undefined, now: number, ownDurationMs: number): LeaseStep {
  if (!record) return { kind: 'take', expected: undefined };
  if (observed?.token !== record.token) return { kind: 'wait', observed: { token: record.token, since: now } };
  if (now - observed.since >= (record.durationMs ?? ownDurationMs)) return { kind: 'take', expected: record.token };
  return { kind: 'wait', observed };
}

/** Until when (same clock as `sentAt`) a leader may act on a lease whose write it sent at `sentAt`. */
export function actingUntil(sentAt: number, durationMs: number): number {
  return sentAt + durationMs * (1 - ACTING_MARGIN_SHARE);
}
