import { Logger } from '@nestjs/common';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import { isLeaseRecord, LeaseRecord } from './lease-record';
import { LeaseStore } from './lease-store';

/** A compare-and-set takes milliseconds; a lock older than this was left by a process that died holding it. */
const LOCK_STALE_MS = 5000;

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
      // Reported below, as for any record that is not a lease.
    }
    // Written only by rename, so never half a file: someone else's file. Treated as no lease, and replaced by the next one.
    this.logger.warn(`${this.leasePath} holds no lease record; taken as no lease`);
    return undefined;
  }

  async write(record: LeaseRecord, expected: string | undefined): Promise<boolean> {
    return this.underLock(async () => {
      if ((await this.read())?.token !== expected) return false;
      const temporary = `${this.leasePath}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(record));
      await rename(temporary, this.leasePath);
      return true;
    });
  }

  async remove(expected: string): Promise<void> {
    await this.underLock(async () => {
      if ((await this.read())?.token === expected) await rm(this.leasePath, { force: true });
    });
  }

  private async underLock<T>(critical: () => Promise<T>): Promise<T> {
    await mkdir(this.directory, { recursive: true });
    const release = await lock(this.directory, {
      lockfilePath: this.lockPath,
      realpath: false,
      stale: LOCK_STALE_MS,
      retries: { retries: 20, minTimeout: 5, maxTimeout: 100 },
      // Held for milliseconds; a lock taken from this process means it was stalled for seconds, which the lease's own margin covers.
      onCompromised: (error) => this.logger.error(`the lease lock ${this.lockPath} was taken over while held: ${error.message}`),
    });
    try {
      return await critical();
    } finally {
      await release().catch(() => undefined);
    }
  }
}
