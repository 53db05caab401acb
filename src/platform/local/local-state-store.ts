import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isLocalServerRecord, LocalServerRecord } from './local-server-record';

/** Errors reading a file that say it holds no record, rather than that it could not be read now. */
const NO_RECORD: ReadonlySet<string | undefined> = new Set(['ENOENT', 'EISDIR']);

/** One JSON file per server in the state directory, replaced atomically so a crash never leaves half a record. */
export class LocalStateStore {
  constructor(readonly directory: string) {}

  async ensure(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
  }

  /**
   * Every record in the directory. `unreadable`: files that hold no record (not JSON, not a
   * record, a directory). `unread`: files that could not be read just now (descriptors out, an
   * I/O error), whose servers may well be running.
   */
  async list(): Promise<{ records: LocalServerRecord[]; unreadable: string[]; unread: string[] }> {
    const names = (await readdir(this.directory)).filter((name) => name.endsWith('.json'));
    const records: LocalServerRecord[] = [];
    const unreadable: string[] = [];
    const unread: string[] = [];
    for (const name of names) {
      try {
        const record = await this.readRecord(join(this.directory, name));
        if (record) records.push(record);
        else unreadable.push(name);
      } catch {
        unread.push(name);
      }
    }
    return { records, unreadable, unread };
  }

  /** The server's record; undefined when it has none. Throws when it could not be read just now. */
  read(id: string): Promise<LocalServerRecord | undefined> {
    return this.readRecord(this.recordPath(id));
  }

  async write(record: LocalServerRecord): Promise<void> {
    const target = this.recordPath(record.id);
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(record, null, 2));
    await rename(temporary, target);
  }

  async remove(id: string): Promise<void> {
    await rm(this.recordPath(id), { force: true });
  }

  logPath(id: string): string {
    return join(this.directory, `${id}.log`);
  }

  private async readRecord(path: string): Promise<LocalServerRecord | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (NO_RECORD.has((error as NodeJS.ErrnoException).code)) return undefined;
      throw error;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      return isLocalServerRecord(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  private recordPath(id: string): string {
    return join(this.directory, `${id}.json`);
  }
}
