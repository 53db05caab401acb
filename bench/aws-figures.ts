import { join } from 'node:path';
import type { AwsJob, CallCounts, RebuildResult, SteadyAndLaunchResult } from './aws-worker';
import { runHelper } from './children';
import { failedRow, Row, row } from './results';

const WORKER = join(__dirname, 'aws-worker.js');
/** What each AWS call costs on top of its work, as from a manager in the same region. */
const LATENCY_MS = 30;

const total = (calls: CallCounts) => Object.values(calls).reduce((sum, n) => sum + n, 0);
const listed = (calls: CallCounts, per = 1) =>
  Object.entries(calls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, n]) => `${operation} ${Number((n / per).toFixed(1))}`)
    .join(', ') || 'none';

/**
 * The fewest calls a rebuild of `tasks` tasks can make within the APIs' batch limits: ListTasks
 * pages and DescribeTasks and DescribeContainerInstances batches of 100, DescribeInstances for the
 * addresses and for the orphan check at 1,000 a call, one DescribeClusters for readiness, and two
 * DescribeTaskDefinition (the revision the tasks run, the one launches use). Only the ListTasks
 * pages must follow one another; the rest can overlap them.
 */
function rebuildFloor(tasks: number): { calls: number; seconds: number } {
  const hundreds = Math.ceil(tasks / 100);
  const thousands = Math.ceil(tasks / 1000);
  return { calls: 3 * hundreds + 2 * thousands + 3, seconds: ((hundreds + 3) * LATENCY_MS) / 1000 };
}

/**
 * The fewest calls a resync of `tasks` tasks can make: ListTasks pages and DescribeTasks batches
 * of 100, one DescribeInstances page per 1,000 of the fleet's instances for the sweep, and one
 * DescribeTaskDefinition for the revision launches use (the tasks' own are known by then).
 */
function resyncFloor(tasks: number): number {
  return 2 * Math.ceil(tasks / 100) + Math.ceil(tasks / 1000) + 1;
}

/**
 * Figures 3 and 4 for ECS: start-up rebuild of 10 ... 10,000 tasks with 30 ms per AWS call (time
 * to ready, calls), calls per steady reconcile pass and per launch, against the fake AWS.
 */
export async function awsFigures(sizes: readonly number[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const tasks of sizes) {
    const label = `ECS start-up rebuild, ${tasks} tasks`;
    try {
      const job: AwsJob = { kind: 'rebuild', tasks, latencyMs: LATENCY_MS };
      const result = await runHelper<RebuildResult>(WORKER, job, { timeoutMs: 600_000 });
      const floor = rebuildFloor(tasks);
      const goal = tasks === 10_000 ? ({ on: 'value', op: '<=', limit: 5 } as const) : undefined;
      rows.push(
        row(`${label}: time to ready`, 's', result.readySeconds, floor.seconds, goal, `modules loaded beforehand in ${result.moduleLoadSeconds.toFixed(2)} s`),
        row(`${label}: AWS calls`, 'calls', total(result.calls), floor.calls, undefined, listed(result.calls)),
        row(`ECS resync, ${tasks} tasks: AWS calls`, 'calls', total(result.resyncCalls), resyncFloor(tasks), undefined, `${listed(result.resyncCalls)}; ${result.resyncSeconds.toFixed(2)} s`),
      );
    } catch (error) {
      rows.push(failedRow(`${label}: time to ready`, tasks === 10_000 ? '<= 5 s' : undefined, String(error)));
    }
  }
  try {
    const job: AwsJob = { kind: 'steady-and-launch', latencyMs: LATENCY_MS, passes: 10, oneAtATime: 3, atOnce: 10 };
    const result = await runHelper<SteadyAndLaunchResult>(WORKER, job, { timeoutMs: 300_000 });
    const perLaunch = (label: string, calls: CallCounts, launches: number, goal?: { on: 'value'; op: '<='; limit: number }) =>
      row(`ECS AWS calls per launch (EC2 launch type), ${label}`, 'calls', total(calls) / launches, undefined, goal, listed(calls, launches));
    const atMostFive = { on: 'value', op: '<=', limit: 5 } as const;
    rows.push(
      row('ECS AWS calls per steady reconcile pass', 'calls', total(result.steadyCalls) / result.passes, undefined, { on: 'value', op: '<=', limit: 0 }, listed(result.steadyCalls, result.passes)),
      perLaunch("the manager's first", result.firstLaunchCalls, 1),
      perLaunch(`${result.oneAtATime} more one at a time`, result.oneAtATimeCalls, result.oneAtATime, atMostFive),
      perLaunch(`${result.atOnce} at once`, result.atOnceCalls, result.atOnce, atMostFive),
    );
  } catch (error) {
    rows.push(failedRow('ECS AWS calls per steady reconcile pass', '<= 0 calls', String(error)));
  }
  return rows;
}
