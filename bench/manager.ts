import { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLoopbackPort, pidsWithEnvironment, processStartTime, signalGroup } from '../src/platform/local/local-process';
import { LocalServerRecord } from '../src/platform/local/local-server-record';
import { startProcess, stopProcess } from './children';
import { rssBytes } from './proc';
import type { FarmServer } from './farm';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');

/**
 * The Node flags `npm start` (and the Docker image) runs the manager with, read from package.json,
 * so that the bench measures the manager as it is shipped. Its baselines run with them too.
 */
export const MANAGER_NODE_FLAGS: readonly string[] = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start as string)
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));
/** One fake server's places: far more than a run hands out, so allocation never runs out. */
export const BENCH_SERVER_CAPACITY = 100_000;

export interface RunningManager {
  readonly url: string;
  readonly pid: number;
  /** VmRSS of the manager process, read from /proc. */
  rssBytes(): Promise<number>;
  /** SIGSTOP / SIGCONT: a paused manager takes no CPU, its reconcile loop included. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}


/**
 * Records the farm's servers in a fresh LOCAL_STATE_DIR the way the local platform records the
 * servers it starts, so that the manager adopts them at start-up as after a restart: the real
 * discovery, probing and allocation, with no game server process to start.
 */
async function seedStateDir(servers: readonly FarmServer[]): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'fleet-bench-'));
  const startTimes = new Map<number, string | undefined>();
  for (const [index, server] of servers.entries()) {
    const [host, port] = server.address.split(':');
    if (host !== '127.0.0.1') throw new Error(`the local platform probes 127.0.0.1 only, not ${server.address}`);
    if (!startTimes.has(server.pid)) startTimes.set(server.pid, await processStartTime(server.pid));
    const record: LocalServerRecord = {
      id: `bench-${String(index).padStart(5, '0')}`,
      pid: server.pid,
      processStartTime: startTimes.get(server.pid),
      port: Number(port),
      capacity: BENCH_SERVER_CAPACITY,
      command: 'bench health farm',
      startedAt: new Date().toISOString(),
      draining: false,
    };
    await writeFile(join(directory, `${record.id}.json`), JSON.stringify(record));
  }
  return directory;
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  try {
    const response = await fetch(url);
    return { status: response.status, body: await response.json().catch(() => undefined) };
  } catch {
    return { status: 0, body: undefined };
  }
}

async function waitFor(what: string, child: ChildProcess, output: () => string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the manager exited while waiting for ${what}:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`the manager did not reach ${what} within ${timeoutMs} ms:\n${output()}`);
    await sleep(100);
  }
}

/**
 * Runs the built manager (`node dist/main.js`, as `npm start` does) as its own process on the
 * local platform, adopting the given servers, and resolves once every one of them takes players.
 * `main` may name another entry point built from the same dist/ (a variant with another adapter).
 */
export async function startManager(servers: readonly FarmServer[], options: { main?: string; execArgv?: string[] } = {}): Promise<RunningManager> {
  const stateDir = await seedStateDir(servers);
  const port = await freeLoopbackPort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOST: '127.0.0.1',
    PORT: String(port),
    PLATFORM: 'local',
    LOCAL_STATE_DIR: stateDir,
    LOG_LEVEL: 'warn',
    SERVER_CAPACITY: String(BENCH_SERVER_CAPACITY),
    UPSCALE_MARGIN: '4',
    DOWNSCALE_MARGIN: String(2 * BENCH_SERVER_CAPACITY),
    // Exactly the adopted servers: the manager neither launches nor drains during the run.
    MIN_SERVERS: String(servers.length),
    MAX_SERVERS: String(servers.length),
    // Places handed out come back after a second, as if every player left at once.
    RESERVATION_TIMEOUT: '1',
    SLEEP_TIME: '1',
    // The load comes from one address: the limits per client are counted on every request, as in
    // production, but set so high that they never refuse one.
    CLIENT_ALLOCATIONS_PER_MINUTE: '1000000000',
    CLIENT_RESERVED_PLACES: '1000000000',
  };
  // The state directory is the working directory too, so that no .env of the repository applies.
  const child = startProcess(process.execPath, [...MANAGER_NODE_FLAGS, ...(options.execArgv ?? []), options.main ?? MAIN], { cwd: stateDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcess(child);
    // The fleet is fixed, so the manager should start no game server. Should it start one anyway
    // (it lost a farm server), that process must not outlive the bench: a manager leaves its game
    // servers running when it stops, and they inherit its state directory.
    const started = await pidsWithEnvironment('LOCAL_STATE_DIR', stateDir);
    for (const pid of started) signalGroup(pid, 'SIGTERM');
    if (started.length > 0) console.warn(`the manager started ${started.length} game server(s) of its own during the run; ended them`);
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    await waitFor('readiness', child, () => output, async () => (await getJson(`${url}/health/ready`)).status === 200);
    await waitFor(`${servers.length} ready servers`, child, () => output, async () => {
      const { body } = await getJson(`${url}/available-gameserver-list/`);
      return (body as { server_list?: unknown[] } | undefined)?.server_list?.length === servers.length;
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    pid: child.pid as number,
    rssBytes: () => rssBytes(child.pid as number),
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop,
  };
}
