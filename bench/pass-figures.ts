import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runHelper } from './children';
import { startHealthFarm } from './farm';
import { MANAGER_NODE_FLAGS } from './manager';
import type { PassJob, PassResult } from './pass-worker';
import { failedRow, Goal, Row, row } from './results';

const WORKER = join(__dirname, 'pass-worker.js');
/** What every fake server reports: healthy, some room, a game in progress. */
const REPORTED_CAPACITY = 5;

const PASS_GOALS: Readonly<Record<number, Goal>> = {
  1000: { on: 'value', op: '<=', limit: 0.3 },
  10000: { on: 'value', op: '<=', limit: 2 },
};
const RSS_GOALS: Readonly<Record<number, Goal>> = {
  10000: { on: 'value', op: '<=', limit: 250 },
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export interface PassOptions {
  readonly concurrency: number;
  readonly warmups: number;
  readonly passes: number;
  /** Directory for CPU profiles of the manager's passes, if wanted. */
  readonly cpuProfileDir?: string;
}

/**
 * Figures 2 and 4: a reconcile pass over 10 ... 10,000 healthy servers, the manager's real pass
 * against the bare probe loop, each size in fresh processes, and the resident memory of each.
 */
export async function passFigures(sizes: readonly number[], options: PassOptions): Promise<Row[]> {
  const rows: Row[] = [];
  if (options.cpuProfileDir) await mkdir(options.cpuProfileDir, { recursive: true });
  const farm = await startHealthFarm(Math.max(...sizes), REPORTED_CAPACITY);
  try {
    for (const size of sizes) {
      const job = (kind: PassJob['kind'], cpuProfile?: string): PassJob => ({
        kind,
        addresses: farm.servers.slice(0, size).map((server) => server.address),
        concurrency: options.concurrency,
        warmups: options.warmups,
        passes: options.passes,
        cpuProfile,
      });
      try {
        const profile = options.cpuProfileDir && join(options.cpuProfileDir, `pass-${size}.cpuprofile`);
        const execArgv = [...MANAGER_NODE_FLAGS];
        const manager = await runHelper<PassResult>(WORKER, job('manager', profile), { execArgv });
        const bare = await runHelper<PassResult>(WORKER, job('bare'), { execArgv });
        rows.push(
          row(`reconcile pass, ${size} servers`, 's', median(manager.passSeconds), median(bare.passSeconds), PASS_GOALS[size]),
          row(`reconcile RSS, ${size} servers`, 'MB', manager.rssBytes / 1e6, bare.rssBytes / 1e6, RSS_GOALS[size]),
        );
        if (size === Math.max(...sizes)) {
          rows.push(row(`platform calls per steady pass, ${size} servers`, 'calls', manager.platformCallsPerPass ?? NaN, undefined, { on: 'value', op: '<=', limit: 0 }));
        }
      } catch (error) {
        rows.push(failedRow(`reconcile pass, ${size} servers`, PASS_GOALS[size] && `<= ${PASS_GOALS[size].limit} s`, String(error)));
      }
    }
  } finally {
    await farm.stop();
  }
  return rows;
}
