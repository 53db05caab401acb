import { basename, join } from 'node:path';
import { startHelper, stopProcess } from './children';
import { startHealthFarm } from './farm';
import { LoadResult, LoadTally, warmUp } from './load';
import { BENCH_SERVER_CAPACITY, MANAGER_NODE_FLAGS, startManager } from './manager';
import { failedRow, Row, row } from './results';

const PATH = '/available-gameserver/';

export interface AllocationOptions {
  readonly connections: number;
  /** Seconds of measured load on each target, split into `rounds` slices. */
  readonly durationS: number;
  readonly warmupS: number;
  /**
   * The manager and bare node:http take turns, a slice each, so that both see the same machine:
   * others' load on a shared machine comes and goes, within seconds on a cloud VM (slices of one
   * second gave ratios of 0.82-0.94 over four runs where slices of five gave 0.64-1.03). The
   * manager is paused during bare's turns, so that its reconcile loop does not take CPU from bare
   * node:http.
   */
  readonly rounds: number;
  /** Another entry point built from dist/ (a variant with another HTTP adapter). */
  readonly main?: string;
}

function checked(result: LoadResult, what: string): LoadResult {
  if (result.failed > 0) throw new Error(`${what}: ${result.failed} of ${result.requests} answers were not 200 (${result.failures})`);
  return result;
}

/** The manager adopting `size` fake servers, in turns with bare node:http. */
async function measure(size: number, bare: { url: string; pid: number }, options: AllocationOptions) {
  // All on 127.0.0.1: the local platform probes its servers there.
  const farm = await startHealthFarm(size, BENCH_SERVER_CAPACITY, size);
  try {
    const running = await startManager(farm.servers, { main: options.main });
    try {
      const url = `${running.url}${PATH}`;
      await warmUp(url, options.connections, options.warmupS);
      const managerTally = new LoadTally();
      const bareTally = new LoadTally();
      const slice = options.durationS / options.rounds;
      for (let round = 0; round < options.rounds; round++) {
        running.pause();
        try {
          await bareTally.run(bare.url, bare.pid, options.connections, slice);
        } finally {
          running.resume();
        }
        await managerTally.run(url, running.pid, options.connections, slice);
      }
      return {
        manager: checked(managerTally.result(), 'manager'),
        bare: checked(bareTally.result(), 'bare node:http'),
        rssBytes: await running.rssBytes(),
      };
    } finally {
      await running.stop();
    }
  } finally {
    await farm.stop();
  }
}

/**
 * Figure 1: `GET /available-gameserver/` at `connections` concurrent connections, against bare
 * node:http answering the same JSON, each a process of its own on the same Node.
 */
export async function allocationFigures(sizes: readonly number[], options: AllocationOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const variant = options.main ? ` (${basename(options.main)})` : '';
  const { child, message } = await startHelper<{ url: string }>(join(__dirname, 'bare-allocation-server.js'), [], { execArgv: [...MANAGER_NODE_FLAGS] });
  try {
    const bare = { url: `${message.url}${PATH}`, pid: child.pid as number };
    await warmUp(bare.url, options.connections, options.warmupS);
    for (const size of sizes) {
      const label = `allocation, ${size} servers${variant}`;
      try {
        const { manager, bare: floor, rssBytes } = await measure(size, bare, options);
        rows.push(
          row(`${label}: req/s`, 'req/s', manager.requestsPerSecond, floor.requestsPerSecond, { on: 'ratio', op: '>=', limit: 0.75 }),
          row(`${label}: p50`, 'ms', manager.p50Ms, floor.p50Ms),
          row(`${label}: p99`, 'ms', manager.p99Ms, floor.p99Ms, { on: 'value', op: '<=', limit: 5 }),
          row(`${label}: server CPU per request`, 'µs', manager.cpuUsPerRequest, floor.cpuUsPerRequest),
          row(`${label}: manager RSS`, 'MB', rssBytes / 1e6),
        );
      } catch (error) {
        rows.push(failedRow(`${label}: req/s`, 'ratio >= 0.75', String(error)));
      }
    }
  } finally {
    await stopProcess(child);
  }
  return rows;
}
