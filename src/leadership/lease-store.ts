import { LeaseRecord } from './lease-record';

/**
 * Where the leader lease lives: a register with an atomic compare-and-set, nothing more. The
 * lease itself (who may take it, and when) is decided by the leadership over it, the same for
 * every store.
 */
export interface LeaseStore {
  /** Where the lease is, for logs and /fleet. */
  readonly description: string;
  read(): Promise<LeaseRecord | undefined>;
  /** Writes `record` only if the lease's token is `expected` now (undefined: there is no lease); false if it is not. */
  write(record: LeaseRecord, expected: string | undefined): Promise<boolean>;
  /** Removes the lease, only if its token is `expected` now; false if it was not. */
  remove(expected: string): Promise<boolean>;
}

/** The store of the lease, or null when the manager is alone by configuration (ECS without LEASE_TABLE). */
export const LEASE_STORE = Symbol('LeaseStore');
