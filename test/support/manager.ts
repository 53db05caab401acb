import 'reflect-metadata';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtemp, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpApp, listen } from '../../src/http-app';
import { Reconciler } from '../../src/scaling/reconciler.service';
import { isAlive, waitFor } from './wait';

export { isAlive, waitFor };

export interface RunningManager {
  readonly app: NestFastifyApplication;
  readonly url: string;
  readonly stateDir: string;
  close(): Promise<void>;
}

/** Margins small enough for a test fleet of a few servers, with passes a fifth of a second apart. */
export const TEST_ENV: Record<string, string> = {
  UPSCALE_MARGIN: '4',
  DOWNSCALE_MARGIN: '18',
  SERVER_CAPACITY: '10',
  SLEEP_TIME: '0.2',
  UNHEALTHY_THRESHOLD: '2',
  PROBE_TIMEOUT: '1',
  LAUNCH_TIMEOUT: '20',
  SHUTDOWN_DELAY: '0',
  LOG_LEVEL: process.env.TEST_LOGS ?? 'silent',
};

export function newStateDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'fleet-state-'));
}

/** Starts the real manager (the app main.ts builds) on a free loopback port. */
export async function startManager(env: Record<string, string> = {}, stateDir?: string): Promise<RunningManager> {
  const dir = stateDir ?? (await newStateDir());
  const app = await createHttpApp({ env: { ...TEST_ENV, HOST: '127.0.0.1', LOCAL_STATE_DIR: dir, ...env } });
  await listen(app, 0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  // The process outlives the manager here: let its launches finish, so that destroyFleet finds them.
  const reconciler = app.get(Reconciler);
  const close = async () => {
    await app.close();
    await reconciler.settle();
    // A directory of its own that the manager left empty (nothing launched, or the ECS platform)
    // would pile up in /tmp, run after run; one with servers in it is destroyFleet's to clear.
    if (!stateDir) await rmdir(dir).catch(() => undefined);
  };
  return { app, url, stateDir: dir, close };
}

export interface RecordedServer {
  id: string;
  pid: number;
  port: number;
  draining: boolean;
}

/**
 * What the local platform recorded in its state directory: the servers whose process has started
 * (a launch records itself with pid 0 just before). A record removed while this reads is skipped.
 */
export async function recordedServers(stateDir: string): Promise<RecordedServer[]> {
  const names = (await readdir(stateDir)).filter((name) => name.endsWith('.json'));
  const records = await Promise.all(
    names.map(async (name) => {
      try {
        return JSON.parse(await readFile(join(stateDir, name), 'utf8')) as RecordedServer;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    }),
  );
  return records.filter((r): r is RecordedServer => r !== undefined && r.pid !== 0).sort((a, b) => a.id.localeCompare(b.id));
}

/** Ends every game server a test's managers started and removes their state. */
export async function destroyFleet(stateDir: string): Promise<void> {
  for (const server of await recordedServers(stateDir).catch(() => [])) {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(stateDir, { recursive: true, force: true });
}

export interface HttpAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export async function getJson<T = any>(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpAnswer<T>> {
  const response = await fetch(url, { headers, method });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the test sees the text
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

/** The value of one sample of the manager's Prometheus text, e.g. metric(manager, 'fleet_manager_servers{state="ready"}'). */
export async function metric(manager: RunningManager, sample: string): Promise<number | undefined> {
  const text = await (await fetch(`${manager.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

/** The servers that take players, as clients see them. */
export async function acceptingServers(manager: RunningManager): Promise<string[]> {
  return (await getJson<{ server_list: string[] }>(`${manager.url}/available-gameserver-list/`)).body.server_list;
}

/** Free places over the fleet, asked of the game servers themselves rather than of the manager. */
export async function reportedFreeCapacity(addresses: string[]): Promise<number> {
  const reports = await Promise.all(addresses.map((a) => getJson<{ available_capacity: number }>(`http://${a}/health/`)));
  return reports.reduce((sum, r) => sum + r.body.available_capacity, 0);
}
