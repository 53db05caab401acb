/** The leader lease as the store keeps it: one record per fleet. */
export interface LeaseRecord {
  /** Who holds it (host, pid and a random part), for operators. */
  readonly holder: string;
  /**
   * New on every renewal. A standby that sees the same token for `durationMs` on its own clock
   * knows the holder has stopped renewing, without trusting anyone's wall clock.
   */
  readonly token: string;
  /**
   * The holder's LEASE_DURATION: during a deployment that changes it, the standby waits what the
   * holder promised. Absent for an unreadable record: the standby waits its own.
   */
  readonly durationMs?: number;
  /** When the holder last renewed, by its wall clock: for operators only, never for decisions. */
  readonly renewedAt: string;
}

/**
 * Who holds a record in the lease's place that is not a lease (edited by hand, written by another
 * program). It is treated as held, never as free: a standby replaces it as it replaces an expired
 * lease, after watching it for a duration, so that a leader whose record got damaged still has
 * its duration to stop.
 */
export const UNREADABLE_HOLDER = 'nobody known: the lease record is unreadable';

export function unreadableRecord(token: string): LeaseRecord {
  return { holder: UNREADABLE_HOLDER, token, renewedAt: '' };
}

export function isLeaseRecord(value: unknown): value is LeaseRecord {
  const r = value as Partial<LeaseRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.holder === 'string' &&
    typeof r.token === 'string' &&
    r.token.length > 0 &&
    typeof r.durationMs === 'number' &&
    Number.isFinite(r.durationMs) &&
    r.durationMs > 0 &&
    typeof r.renewedAt === 'string'
  );
}
