import 'reflect-metadata';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeAws, FakeAwsOptions } from '../test/support/fake-aws/fake-aws';
import type { GameServerPlatform } from '../src/platform/game-server-platform';
import { exitWithParent, reportFailure } from './children';

/**
 * Helper process: the manager on PLATFORM=ecs, in this process, against the fake of ECS and EC2
 * that the ECS tests use (aws-sdk-client-mock on the SDK's clients, every call recorded). One job
 * per process, so that a start-up is a cold start as in production.
 *
 * - rebuild: `tasks` RUNNING tasks exist; how long until the manager answers ready (the fleet
 *   rebuilt from ECS), and which calls that took; then one resync of that fleet, its time and calls.
 * - steady-and-launch: three healthy servers; the calls of reconcile passes that change nothing,
 *   then of launches made through the platform port: the manager's first, then more one after
 *   the other, then a wave of launches at once, as the policy launches for a large shortfall.
 */
export type AwsJob =
  | { readonly kind: 'rebuild'; readonly tasks: number; readonly latencyMs: number }
  | { readonly kind: 'steady-and-launch'; readonly latencyMs: number; readonly passes: number; readonly oneAtATime: number; readonly atOnce: number };

export type CallCounts = Record<string, number>;

export interface RebuildResult {
  readonly readySeconds: number;
  readonly calls: CallCounts;
  readonly resyncSeconds: number;
  readonly resyncCalls: CallCounts;
  /** Loading the manager's modules, before the clock of readySeconds starts. */
  readonly moduleLoadSeconds: number;
}

export interface SteadyAndLaunchResult {
  readonly steadyCalls: CallCounts;
  readonly passes: number;
  /** The manager's first launch: it has no launch time to learn from yet. */
  readonly firstLaunchCalls: CallCounts;
  /** The launches one at a time after the first, together. */
  readonly oneAtATimeCalls: CallCounts;
  readonly oneAtATime: number;
  /** The wave of launches at once, together. */
  readonly atOnceCalls: CallCounts;
  readonly atOnce: number;
}

/**
 * The fake's timings for a launch, 1/100 of the real ones, with ECS_POLL_INTERVAL 5 s -> 50 ms: an
 * instance boots and its agent joins in about a minute, a task starts in about ten seconds.
 */
const LAUNCH_TIMINGS: FakeAwsOptions = { instanceBootMs: 300, registerDelayMs: 300, taskStartMs: 100 };
const POLL_INTERVAL_S = '0.05';

const ECS_ENV = {
  PLATFORM: 'ecs',
  AWS_REGION: 'ap-south-1',
  ECS_CLUSTER: 'default',
  SERVER_TASK_DEFINITION: 'LaunchGameserver',
  ECS_INSTANCE_LAUNCH_TEMPLATE: 'defaultECS',
  ECS_POLL_INTERVAL: POLL_INTERVAL_S,
  // Terminus logs every failed readiness check at error level, and the bench polls readiness.
  LOG_LEVEL: 'silent',
  HOST: '127.0.0.1',
};

function countByOperation(fake: FakeAws, from = 0): CallCounts {
  const counts: CallCounts = {};
  for (const call of fake.calls().slice(from)) counts[call.operation] = (counts[call.operation] ?? 0) + 1;
  return counts;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

async function loadManager() {
  const started = performance.now();
  const { createHttpApp } = await import('../src/http-app.js');
  const moduleLoadSeconds = (performance.now() - started) / 1000;
  const { FakeAws } = await import('../test/support/fake-aws/fake-aws.js');
  return { createHttpApp, FakeAws, moduleLoadSeconds };
}

async function rebuild(tasks: number, latencyMs: number): Promise<RebuildResult> {
  const { createHttpApp, FakeAws, moduleLoadSeconds } = await loadManager();
  // Tasks without game server processes: start-up reads ECS only; nothing needs to answer probes.
  const fake = FakeAws.install({ latencyMs, runGameServers: false });
  try {
    await fake.seedTasks(tasks);
    const started = performance.now();
    // Neither launches nor drains: the fleet is exactly the tasks found.
    const app = await createHttpApp({ env: { ...ECS_ENV, MIN_SERVERS: '0', MAX_SERVERS: String(2 * tasks) } });
    try {
      await app.listen(0, '127.0.0.1');
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      await waitUntil('readiness', async () => (await fetch(`${url}/health/ready`)).status === 200);
      const readySeconds = (performance.now() - started) / 1000;
      const calls = countByOperation(fake);
      const { GAME_SERVER_PLATFORM } = await import('../src/platform/game-server-platform.js');
      const platform = app.get<GameServerPlatform>(GAME_SERVER_PLATFORM);
      const before = fake.calls().length;
      const resyncStarted = performance.now();
      const { servers } = await platform.resync();
      if (servers.length !== tasks) throw new Error(`the resync found ${servers.length} of ${tasks} servers`);
      return { readySeconds, calls, moduleLoadSeconds, resyncSeconds: (performance.now() - resyncStarted) / 1000, resyncCalls: countByOperation(fake, before) };
    } finally {
      await app.close();
    }
  } finally {
    await fake.close();
  }
}

async function steadyAndLaunch(job: Extract<AwsJob, { kind: 'steady-and-launch' }>): Promise<SteadyAndLaunchResult> {
  const { createHttpApp, FakeAws } = await loadManager();
  const { ReconcileLoop } = await import('../src/scaling/reconcile-loop.service.js');
  const { GAME_SERVER_PLATFORM } = await import('../src/platform/game-server-platform.js');
  const fake = FakeAws.install({
    ...LAUNCH_TIMINGS,
    latencyMs: job.latencyMs,
    runGameServers: false,
    gameServerScript: resolve(__dirname, '..', '..', 'sample-game-server', 'server.js'),
  });
  try {
    await fake.seedTasks(3, { runGameServers: true });
    // Three servers of 10 places, kept: no margin asks for a launch or a drain. Passes run when asked.
    const launches = 1 + job.oneAtATime + job.atOnce;
    const env = { ...ECS_ENV, MIN_SERVERS: '3', MAX_SERVERS: String(3 + launches), DOWNSCALE_MARGIN: '40', SLEEP_TIME: '3600' };
    const app = await createHttpApp({ env });
    try {
      await app.listen(0, '127.0.0.1');
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      await waitUntil('three ready servers', async () => {
        const list = (await (await fetch(`${url}/available-gameserver-list/`)).json()) as { server_list: string[] };
        return list.server_list.length === 3;
      });
      const loop = app.get(ReconcileLoop);
      await loop.passNow();
      const beforeSteady = fake.calls().length;
      for (let i = 0; i < job.passes; i++) await loop.passNow();
      const steadyCalls = countByOperation(fake, beforeSteady);

      const platform = app.get<{ launch(request: { id: string; capacity: number }): Promise<unknown> }>(GAME_SERVER_PLATFORM);
      let launched = 0;
      const launch = () => platform.launch({ id: `gs-bench${String(launched++).padStart(7, '0')}`, capacity: 10 });
      const callsOf = async (work: () => Promise<unknown>) => {
        const before = fake.calls().length;
        await work();
        return countByOperation(fake, before);
      };
      const firstLaunchCalls = await callsOf(launch);
      const oneAtATimeCalls = await callsOf(async () => {
        for (let i = 0; i < job.oneAtATime; i++) await launch();
      });
      const atOnceCalls = await callsOf(() => Promise.all(Array.from({ length: job.atOnce }, launch)));
      return { steadyCalls, passes: job.passes, firstLaunchCalls, oneAtATimeCalls, oneAtATime: job.oneAtATime, atOnceCalls, atOnce: job.atOnce };
    } finally {
      await app.close();
    }
  } finally {
    await fake.close();
  }
}

exitWithParent();
process.once('message', (job: AwsJob) => {
  const run = job.kind === 'rebuild' ? rebuild(job.tasks, job.latencyMs) : steadyAndLaunch(job);
  run.then((result) => process.send?.(result), reportFailure);
});
process.send?.({ ready: true });
