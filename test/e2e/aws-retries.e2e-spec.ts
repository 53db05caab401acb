import type { RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ECS_ENV } from '../support/ecs';
import { FakeAws, FakeAwsOptions, FakeTaskDefinition } from '../support/fake-aws/fake-aws';
import { acceptingServers, RunningManager, startManager, waitFor } from '../support/manager';

const ECS_OPERATIONS = ['ListTasks', 'DescribeTasks', 'ListContainerInstances', 'DescribeContainerInstances', 'StartTask', 'RunTask', 'StopTask', 'TagResource', 'UntagResource', 'DescribeClusters', 'DescribeTaskDefinition'];
const bridge = (revision: number): FakeTaskDefinition => ({ family: 'LaunchGameserver', revision, networkMode: 'bridge', containers: [{ name: 'gameserver', containerPort: 8000 }] });
const AWSVPC: FakeTaskDefinition = { family: 'LaunchGameserver', networkMode: 'awsvpc', containers: [{ name: 'gameserver', containerPort: 7777 }] };

/**
 * The real manager with ECS reached over HTTP (EC2 still mocked): every ECS call goes through the
 * SDK's whole stack, so throttling, 5xx and timeouts are retried by the SDK's adaptive retries as
 * they would be against AWS, and a lost answer is asked again by the SDK, not by the manager.
 */
describe('the manager on ECS over HTTP: what the SDK retries', () => {
  let fake: FakeAws | undefined;
  let manager: RunningManager | undefined;

  const install = async (options: FakeAwsOptions = {}) => (fake = await FakeAws.install({ ...options, ecsOverHttp: true }));
  // One attempt may take a second: a 'timeout' costs that, not the 10 s of the default.
  const start = async (env: Record<string, string> = {}) => (manager = await startManager({ ...ECS_ENV, AWS_REQUEST_TIMEOUT: '1', ...env }));
  const platformErrors = async () => [...(await (await fetch(`${manager!.url}/metrics`)).text()).matchAll(/fleet_manager_platform_errors_total\{operation="(\w+)"\} ([1-9]\d*)/g)].map((m) => `${m[1]}=${m[2]}`);
  const retried = (operation: string) => fake!.calls(operation).filter((call) => (call.attempt ?? 0) >= 2).length;

  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    await fake?.close();
    fake = undefined;
  });

  it('a storm of throttling, 5xx and timeouts on every ECS call of a roll-out: the SDK retries each, the manager sees no error and converges on one new server', async () => {
    // Revision 2 is out and the one server runs revision 1: the manager starts a server of revision
    // 2 (StartTask), drains the old one (TagResource) and stops it (StopTask), listing and
    // describing tasks all along.
    await install({ taskDefinitions: [bridge(1)] });
    const [old] = await fake!.seedTasks(1, { taskDefinition: 'LaunchGameserver:1' });
    fake!.registerTaskDefinition(bridge(2));
    fake!.failNext('ListTasks', 2, 'throttle');
    fake!.failNext('DescribeTasks', 1, 'server');
    fake!.failNext('DescribeTasks', 1, 'timeout');
    fake!.failNext('ListContainerInstances', 1, 'timeout');
    fake!.failNext('StartTask', 1, 'throttle');
    fake!.failNext('StartTask', 1, 'timeout');
    fake!.failNext('TagResource', 1, 'server');
    fake!.failNext('TagResource', 1, 'throttle');
    fake!.failNext('StopTask', 1, 'timeout');
    fake!.failNext('StopTask', 1, 'server');
    await start();

    await waitFor(
      'one ready server, the old one stopped',
      async () => (await acceptingServers(manager!)).length === 1 && fake!.tasks().find((t) => t.taskArn === old.taskArn)?.lastStatus === 'STOPPED',
      45_000,
    );
    await sleep(500);

    const live = fake!.tasks().filter((t) => t.lastStatus !== 'STOPPED');
    expect(live).toHaveLength(1);
    expect(live[0].taskArn).not.toBe(old.taskArn);
    // Each fault was answered on the wire and retried by the SDK itself: attempts 2 and 3 reached the fake.
    const faulted = ['ListTasks', 'DescribeTasks', 'ListContainerInstances', 'StartTask', 'TagResource', 'StopTask'];
    expect(Object.fromEntries(faulted.map((operation) => [operation, retried(operation) > 0]))).toEqual(Object.fromEntries(faulted.map((operation) => [operation, true])));
    // Two faults each: the manager asked once, and the SDK asked again until the third attempt was answered.
    for (const operation of ['StartTask', 'StopTask']) {
      const attempts = fake!.calls(operation).map((c) => c.attempt ?? 0);
      expect(attempts.filter((a) => a === 1)).toHaveLength(1);
      expect(Math.max(...attempts)).toBeGreaterThanOrEqual(3);
    }
    // Every ECS call came through the SDK's retry middleware (a mocked call has no attempt).
    expect(fake!.calls().filter((c) => ECS_OPERATIONS.includes(c.operation) && c.attempt === undefined)).toEqual([]);
    // Nothing launched twice: the seeded task and the one new task, on one new instance.
    expect(fake!.tasks()).toHaveLength(2);
    expect(fake!.calls('RunInstances')).toHaveLength(1);
    // The SDK absorbed the storm (5 attempts each): no platform call of the manager failed.
    expect(await platformErrors()).toEqual([]);
    // The manager times each AWS call with its retries, as its caller waits: one StartTask of three attempts is one time, and none failed.
    const metrics = await (await fetch(`${manager!.url}/metrics`)).text();
    expect(metrics).toContain('fleet_manager_aws_call_duration_seconds_count{operation="StartTask",outcome="ok"} 1\n');
    expect(metrics).not.toMatch(/fleet_manager_aws_call_duration_seconds_count\{operation="\w+",outcome="error"\}/);
  });

  it('EC2: a StartTask whose task is started but whose answer is lost: the manager finds that task on its instance, and starts and terminates nothing more', async () => {
    await install();
    fake!.failNext('StartTask', 1, 'lost-answer');
    await start();

    await waitFor('one ready server', async () => (await acceptingServers(manager!)).length === 1, 30_000);
    await sleep(500);

    expect(fake!.tasks()).toHaveLength(1);
    expect(fake!.tasks()[0].lastStatus).toBe('RUNNING');
    // StartTask takes no client token: the SDK's retry finds the instance taken by the task the
    // first attempt started, and the manager then looks for it instead of asking again.
    expect(fake!.calls('StartTask').map((c) => c.attempt)).toEqual([1, 2]);
    expect(fake!.calls('RunInstances')).toHaveLength(1);
    expect(fake!.calls('TerminateInstances')).toHaveLength(0);
    expect(await platformErrors()).toEqual([]);
  });

  it('Fargate: a RunTask whose task is created but whose answer is lost is asked again by the SDK with the same clientToken, and yields one task, not two', async () => {
    await install({ taskDefinitions: [AWSVPC] });
    fake!.failNext('RunTask', 1, 'lost-answer');
    await start({ ECS_LAUNCH_TYPE: 'FARGATE', ECS_SUBNETS: 'subnet-0abc', ECS_SECURITY_GROUPS: 'sg-0123' });

    await waitFor('one ready server', async () => (await acceptingServers(manager!)).length === 1, 30_000);
    await sleep(500);

    expect(fake!.tasks()).toHaveLength(1);
    expect(fake!.tasks()[0].lastStatus).toBe('RUNNING');
    // The manager asked once; the SDK asked again, with the token of the first attempt.
    const runs = fake!.calls('RunTask').map((c) => ({ attempt: c.attempt, clientToken: (c.input as RunTaskCommandInput).clientToken }));
    expect(runs).toEqual([
      { attempt: 1, clientToken: expect.any(String) },
      { attempt: 2, clientToken: runs[0].clientToken },
    ]);
    expect(await platformErrors()).toEqual([]);
  });
});
