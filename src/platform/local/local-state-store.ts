import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isLocalServerRecord, LocalServerRecord } from './local-server-record';

/** One JSON file per server in the state directory, replaced atomically so a crash never leaves half a record. */
export class LocalStateStore {
  constructor(readonly directory: string) {}

  async ensure(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
  }

  async list(): Promise<{ records: LocalServerRecord[]; unreadable: string[] }> {
    const names = (await readdir(this.directory)).filter((name) => name.endsWith('.json'));
    const records: LocalServerRecord[] = [];
    const unreadable: string[] = [];
    for (const name of names) {
      try {
        const parsed: unknown = JSON.parse(await readFile(join(this.directory, name), 'utf8'));
        if (isLocalServerRecord(parsed)) records.push(parsed);
        else unreadable.push(name);
      } catch {
        unreadable.push(name);
      }
    }
    return { records, unreadable };
  }

  async read(id: string): Promise<LocalServerRecord | undefined> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.recordPath(id), 'utf8'));
      return isLocalServerRecord(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
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

  private recordPath(id: string): string {
    return join(this.directory, `${id}.json`);
  }
}
