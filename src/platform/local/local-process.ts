import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** A loopback port nobody listens on right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Field 22 of /proc/<pid>/stat; undefined where /proc does not exist or the process is gone. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses, so count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while the process with this pid is the one that was started (not a later process given the same pid). */
export async function isSameProcessAlive(pid: number, startTime: string | undefined): Promise<boolean> {
  if (!exists(pid)) return false;
  if (startTime === undefined) return true;
  const current = await processStartTime(pid);
  return current === undefined ? true : current === startTime;
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // Each game server leads its own process group, so the signal reaches anything it spawned too.
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Pids of the processes whose environment holds `name=value` (Linux /proc; none elsewhere). */
export async function pidsWithEnvironment(name: string, value: string): Promise<number[]> {
  // Entries in /proc/<pid>/environ end with NUL; a NUL in front makes the first one match like the rest.
  const entry = Buffer.from(`\0${name}=${value}\0`);
  const pids = (await readdir('/proc').catch(() => [])).filter((dir) => /^\d+$/.test(dir)).map(Number);
  const found: number[] = [];
  for (const pid of pids) {
    const environment = await readFile(`/proc/${pid}/environ`).catch(() => undefined);
    if (environment && Buffer.concat([Buffer.from([0]), environment]).includes(entry)) found.push(pid);
  }
  return found;
}
