import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import { isLeaseRecord, LeaseRecord, unreadableRecord } from './lease-record';
import { LeaseStore } from './lease-store';

/** A compare-and-set takes milliseconds; a lock older than this was left by a process that died holding it. */
const LOCK_STALE_MS = 5000;
/**
 * proper-lockfile refreshes the lock every half of LOCK_STALE_MS: a critical section shorter than
 * that cannot have lost its lock to another process, whatever stalled this one.
 */
const SAFE_HOLD_MS = LOCK_STALE_MS / 2;

/**
 * The lease of managers sharing one state directory (LOCAL_STATE_DIR): a file, each
 * compare-and-set made under a lock file of proper-lockfile (a directory created atomically, and
 * taken over once stale), so that two managers never both win.
 */
export class FileLeaseStore implements LeaseStore {
  private readonly logger = new Logger(FileLeaseStore.name);
  private readonly leasePath: string;
  private readonly lockPath: string;

  constructor(private readonly directory: string) {
    // Not .json: the state directory's .json files are game servers' records.
    this.leasePath = join(directory, 'leader.lease');
    this.lockPath = join(directory, 'leader.lease.lock');
  }

  get description(): string {
    return `file ${this.leasePath}`;
  }

  async read(): Promise<LeaseRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.leasePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (isLeaseRecord(parsed)) return parsed;
    } catch {
      // Reported below, as for any content that is not a lease.
    }
    this.logger.warn(`${this.leasePath} holds no lease record; treated as a lease held by nobody known, replaced once it stays unchanged for a lease duration`);
    // Its content is its token: a standby replaces exactly what it watched.
    return unreadableRecord(`unreadable:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`);
  }

  async write(record: LeaseRecord, expected: string | undefined): Promise<boolean> {
    return this.underLock(async (stillHeld) => {
      if ((await this.read())?.token !== expected) return false;
      const temporary = `${this.leasePath}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(record));
      stillHeld();
      await rename(temporary, this.leasePath);
      return true;
    });
  }

  async remove(expected: string): Promise<boolean> {
    return this.underLock(async (stillHeld) => {
      if ((await this.read())?.token !== expected) return false;
      stillHeld();
      await rm(this.leasePath, { force: true });
      return true;
    });
  }

  /**
   * Runs `critical` under the lock. It calls `stillHeld` just before its write, which throws if
   * the lock may have been taken over meanwhile (this process stalled for seconds): the write is
   * not made, and the caller learns that the outcome is unknown rather than a false success.
   */
  private async underLock<T>(critical: (stillHeld: () => void) => Promise<T>): Promise<T> {
    await mkdir(this.directory, { recursive: true });
    let compromised: Error | undefined;
    const release = await lock(this.directory, {
      lockfilePath: this.lockPath,
      realpath: false,
      stale: LOCK_STALE_MS,
      retries: { retries: 20, minTimeout: 5, maxTimeout: 100 },
      onCompromised: (error) => (compromised = error),
    });
    const lockedAt = performance.now();
    const stillHeld = () => {
      const heldMs = performance.now() - lockedAt;
      if (compromised || heldMs >= SAFE_HOLD_MS) {
        throw new Error(`the lease lock ${this.lockPath} may have been taken over (${compromised?.message ?? `held ${Math.round(heldMs)} ms`}); nothing written`);
      }
    };
    try {
      return await critical(stillHeld);
    } finally {
      await release().catch(() => undefined);
    }
  }
}
