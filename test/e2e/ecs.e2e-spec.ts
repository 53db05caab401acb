import { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, ECSClient, ListContainerInstancesCommand, StartTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DRAINING_TAG, FakeAws, FakeAwsOptions, SERVER_ID_TAG } from '../support/fake-aws/fake-aws';
import { accessDenied } from '../support/fake-aws/aws-errors';
import { ECS_ENV, launchInstanceAsManager } from '../support/ecs';
import { acceptingServers, getJson, RunningManager, startManager, waitFor } from '../support/manager';
import { ArrivedPlayer, arrive, arriveAskingAgain, connectPlayer, leave } from '../support/players';

const TOKEN = 'ecs-test-admin-token-012345';

/** GET /fleet, as an operator sees it. */
interface FleetAnswer {
  servers: { id: string; state: string; version: string; outdated: boolean; platformIds: { taskArn?: string }; lastRefusal?: { action: string; at: string; error: string } }[];
  unadopted: { id: string; reason: string }[];
}

async function fleetOf(manager: RunningManager): Promise<FleetAnswer> {
  return (await (await fetch(`${manager.url}/fleet`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as FleetAnswer;
}

const running = (fake: FakeAws) => ({
  instances: fake.instances().filter((i) => i.state === 'running' || i.state === 'pending'),
  tasks: fake.tasks().filter((t) => t.lastStatus !== 'STOPPED'),
});

describe('the manager on ECS (real SDK clients, a stateful fake of AWS, real game servers)', () => {
  let fake: FakeAws;
  let managers: RunningManager[] = [];
  let players: ArrivedPlayer[] = [];

  const start = async (env: Record<string, string> = {}) => {
    const manager = await startManager({ ...ECS_ENV, ...env });
    managers.push(manager);
    return manager;
  };
  const stopManagers = async () => {
    for (const manager of managers.splice(0)) await manager.close();
  };

  const install = (options: FakeAwsOptions = {}) => (fake = FakeAws.install(options));

  afterEach(async () => {
    await leave(players);
    players = [];
    await stopManagers();
    await fake?.close();
  });

  it('gives the SDK clients the region and adaptive retries with AWS_MAX_ATTEMPTS', async () => {
    install();
    const manager = await start({ AWS_REGION: 'eu-west-3', AWS_MAX_ATTEMPTS: '7' });
    for (const client of [manager.app.get(ECSClient), manager.app.get(EC2Client)]) {
      expect(await client.config.region()).toBe('eu-west-3');
      expect(await client.config.maxAttempts()).toBe(7);
      const { retryMode } = client.config;
      expect(typeof retryMode === 'string' ? retryMode : await retryMode()).toBe('adaptive');
    }
  });

  it('EC2: players arrive and leave; instances and tasks are launched, drained, stopped and terminated', async () => {
    install();
    // A launch here takes about a second (instance boot, agent registration, task start, a node process):
    // a margin of 6 places at one player every 300 ms covers it, as minutes of EC2 boot need a margin in production.
    const manager = await start({ UPSCALE_MARGIN: '6', DOWNSCALE_MARGIN: '17' });
    await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
    expect(running(fake).instances).toHaveLength(1);
    expect(fake.calls('StartTask')[0].input).toMatchObject({ cluster: 'default', taskDefinition: 'LaunchGameserver', startedBy: 'fleet-manager' });

    for (let i = 0; i < 12; i++) {
      // As a game client does on a 503: ask again until a place is free (the second server may still be starting).
      players.push(await arriveAskingAgain(manager, `a place for player ${i + 1}`));
      await sleep(300);
    }
    await waitFor('the fleet to grow', async () => (await acceptingServers(manager)).length >= 2);
    const grown = running(fake);
    expect(grown.instances.length).toBe(grown.tasks.length);
    expect(new Set(players.map((p) => p.address)).size).toBe(2);

    await leave(players);
    players = [];
    await waitFor('the fleet to drain back to one server', async () => {
      const now = running(fake);
      return now.tasks.length === 1 && now.instances.length === 1 && (await acceptingServers(manager)).length === 1;
    }, 30_000);
    expect(fake.calls('StopTask').length).toBeGreaterThanOrEqual(1);
    expect(fake.calls('TerminateInstances').length).toBeGreaterThanOrEqual(1);
    expect(fake.calls('TagResource').length).toBeGreaterThanOrEqual(1);
  });

  it('a restarted manager rebuilds the same fleet from ECS: draining servers still draining, nothing launched', async () => {
    install();
    await fake.seedTasks(2);
    const [draining] = await fake.seedTasks(1, { draining: true });
    // A player keeps the draining server from closing.
    players.push({ address: draining.publicAddress!, socket: await connectPlayer(draining.publicAddress!) });
    const env = { DOWNSCALE_MARGIN: '30' };

    const first = await start(env);
    await waitFor('two ready servers', async () => (await acceptingServers(first)).length === 2);
    expect(await acceptingServers(first)).not.toContain(draining.publicAddress!);
    await stopManagers();

    const launchesBefore = fake.calls('RunInstances').length + fake.calls('StartTask').length;
    const second = await start(env);
    await waitFor('readiness', async () => (await getJson(`${second.url}/health/ready`)).status === 200);
    await waitFor('two ready servers', async () => (await acceptingServers(second)).length === 2);
    await sleep(500);

    expect(fake.calls('RunInstances').length + fake.calls('StartTask').length).toBe(launchesBefore);
    expect(await acceptingServers(second)).not.toContain(draining.publicAddress!);
    expect(running(fake).tasks).toHaveLength(3);
    expect(fake.tasks().find((t) => t.taskArn === draining.taskArn)?.tags['fleet-manager:draining']).toBe('true');
    expect(players[0].socket.readyState).toBe(players[0].socket.OPEN);
  });

  describe('ports as ECS reports them', () => {
    const AWSVPC = { family: 'LaunchGameserver', networkMode: 'awsvpc' as const, containers: [{ name: 'gameserver', containerPort: 7777 }] };
    const FARGATE_ENV = { ECS_LAUNCH_TYPE: 'FARGATE', ECS_SUBNETS: 'subnet-0abc' };

    it('Fargate: a restarted manager without ECS_CONTAINER_PORT adopts the RUNNING tasks (no networkBindings) at their ENI and container port, and stops none', async () => {
      install({ taskDefinitions: [AWSVPC] });
      const seeded = await fake.seedTasks(2, { launchType: 'FARGATE' });
      const manager = await start({ ...FARGATE_ENV, MIN_SERVERS: '2' });
      const accepting = await waitFor('two ready servers', async () => {
        const servers = await acceptingServers(manager);
        return servers.length === 2 && servers;
      });
      expect([...accepting].sort()).toEqual(seeded.map((t) => t.publicAddress).sort());
      expect(accepting.every((address) => address.endsWith(':7777'))).toBe(true);
      expect(fake.calls('StopTask')).toHaveLength(0);
      expect(running(fake).tasks.map((t) => t.taskArn).sort()).toEqual(seeded.map((t) => t.taskArn).sort());
      // One lookup of the revision the tasks run (cached from then on), and one of the family's latest, which launches use.
      const described = fake.calls('DescribeTaskDefinition').map((c) => (c.input as { taskDefinition: string }).taskDefinition);
      expect(described.filter((name) => name.startsWith('arn:'))).toEqual(['arn:aws:ecs:ap-south-1:123456789012:task-definition/LaunchGameserver:1']);
      expect(described.filter((name) => name === 'LaunchGameserver')).toHaveLength(1);
      expect(fake.calls('RunTask')).toHaveLength(0);
    });

    it("bridge: a sidecar with a port listed first does not count; the game container's host port does", async () => {
      install({
        taskDefinitions: [{ family: 'LaunchGameserver', networkMode: 'bridge', containers: [{ name: 'metrics', containerPort: 9100 }, { name: 'gameserver', containerPort: 8000 }], gameContainer: 'gameserver' }],
      });
      const [task] = await fake.seedTasks(1);
      const manager = await start({ ECS_CONTAINER_NAME: 'gameserver' });
      await waitFor('the seeded server ready at its game port', async () => (await acceptingServers(manager)).includes(task.publicAddress!));
    });

    it.each([
      { mode: 'bridge', launchType: 'EC2', definition: { family: 'LaunchGameserver', networkMode: 'bridge', containers: [{ name: 'gameserver', containerPort: 8000, otherPorts: [9000] }] }, env: {} },
      { mode: 'awsvpc', launchType: 'FARGATE', definition: { ...AWSVPC, containers: [{ name: 'gameserver', containerPort: 7777, otherPorts: [9000] }] }, env: FARGATE_ENV },
    ] as const)('$mode: ECS_CONTAINER_PORT picks the game port of a container that maps another port first', async ({ launchType, definition, env }) => {
      install({ taskDefinitions: [definition] });
      const [task] = await fake.seedTasks(1, { launchType });
      const manager = await start({ ...env, ECS_CONTAINER_PORT: String(definition.containers[0].containerPort) });
      await waitFor('the seeded server ready at its game port', async () => (await acceptingServers(manager)).includes(task.publicAddress!));
    });

    it.each([
      { CLIENT_ADDRESS: 'public', PROBE_ADDRESS: 'private' },
      { CLIENT_ADDRESS: 'private', PROBE_ADDRESS: 'public' },
    ] as const)('game clients get the $CLIENT_ADDRESS address, and probes go to the $PROBE_ADDRESS one', async (env) => {
      install();
      const manager = await start(env);
      await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
      const [task] = running(fake).tasks;
      const address = { public: task.publicAddress!, private: task.privateAddress! };
      expect(address.public).not.toBe(address.private);
      // Every probe so far came in on the public address, through AWS's translation, or none did.
      const probesInPublic = fake.connectionsTo(address.public);
      if (env.PROBE_ADDRESS === 'public') expect(probesInPublic).toBeGreaterThan(0);
      else expect(probesInPublic).toBe(0);

      const player = await arrive(manager);
      players.push(player);
      expect(player.address).toBe(address[env.CLIENT_ADDRESS]);
      if (env.CLIENT_ADDRESS === 'public') expect(fake.connectionsTo(address.public)).toBe(probesInPublic + 1);
    });

    it('a RUNNING task whose game port cannot be resolved is reported and left alone, never stopped', async () => {
      install();
      const seeded = await fake.seedTasks(2);
      const manager = await start({ ADMIN_TOKEN: TOKEN, ECS_CONTAINER_NAME: 'no-such-container', MIN_SERVERS: '0', UPSCALE_MARGIN: '0', DOWNSCALE_MARGIN: '11' });
      await waitFor('readiness', async () => (await getJson(`${manager.url}/health/ready`)).status === 200);
      const metrics = await (await fetch(`${manager.url}/metrics`)).text();
      expect(metrics).toMatch(/^fleet_manager_unadopted_tasks 2$/m);
      const fleet = await fleetOf(manager);
      expect(fleet.servers).toEqual([]);
      expect(fleet.unadopted.map((u) => u.id).sort()).toEqual(seeded.map((t) => t.tags['fleet-manager:server-id']).sort());
      expect(fleet.unadopted[0].reason).toMatch(/no container no-such-container/);
      await sleep(500);
      expect(fake.calls('StopTask')).toHaveLength(0);
      expect(fake.calls('TerminateInstances')).toHaveLength(0);
      expect(running(fake).tasks.map((t) => t.taskArn).sort()).toEqual(seeded.map((t) => t.taskArn).sort());
    });
  });

  describe('a sweep that stays in its lane, and stops that wait for the task', () => {
    it('two fleets in the default cluster: start-up takes no instance of the other fleet, even one that runs none of our tasks', async () => {
      const definition = (family: string) => ({ family, networkMode: 'bridge' as const, containers: [{ name: 'gameserver', containerPort: 8000 }] });
      install({ taskDefinitions: [definition('LaunchGameserver'), definition('OtherGame')] });
      const [other] = await fake.seedTasks(1, { taskDefinition: 'OtherGame' });
      // Another fleet of the same game: its tasks are of our family, tagged with its name.
      const [sameFamily] = await fake.seedTasks(1, { fleet: 'LaunchGameserver-eu' });
      // An idle instance of the other fleet, long past any launch: no task guards it but its tags.
      const idle = await launchInstanceAsManager('gs-otherfleet01', 'OtherGame');
      fake.backdateInstance(idle, 3_600_000);
      const manager = await start({ ECS_RESYNC_INTERVAL: '0.2' });
      await waitFor('one ready server of our own', async () => (await acceptingServers(manager)).length === 1);
      await sleep(1000);
      expect(fake.calls('TerminateInstances')).toHaveLength(0);
      expect(fake.instances().find((i) => i.instanceId === idle)?.state).toBe('running');
      expect(fake.instances().find((i) => i.instanceId === other.ec2InstanceId)?.state).toBe('running');
      expect(fake.tasks().find((t) => t.taskArn === other.taskArn)?.lastStatus).toBe('RUNNING');
      expect(await acceptingServers(manager)).not.toContain(sameFamily.publicAddress!);
      expect(fake.calls('StopTask')).toHaveLength(0);
    });

    it('an instance of the fleet with no task is swept only once it is older than LAUNCH_TIMEOUT (it may be a launch in flight), by a resync', async () => {
      install();
      await fake.seedTasks(1);
      const youngId = await launchInstanceAsManager('gs-inflight0001');
      const manager = await start({ ECS_RESYNC_INTERVAL: '0.2', DOWNSCALE_MARGIN: '30' });
      await waitFor('readiness', async () => (await getJson(`${manager.url}/health/ready`)).status === 200);
      const resyncs = async () => Number(/fleet_manager_platform_calls_total\{operation="resync"\} (\d+)/.exec(await (await fetch(`${manager.url}/metrics`)).text())?.[1] ?? 0);
      const seen = await resyncs();
      await waitFor('two more resyncs', async () => (await resyncs()) >= seen + 2);
      expect(fake.calls('TerminateInstances')).toHaveLength(0);
      // Now it is older than LAUNCH_TIMEOUT (300 s): no launch in flight can own it any more.
      fake.backdateInstance(youngId, 301_000);
      await waitFor('the instance to be swept', () => fake.instances().find((i) => i.instanceId === youngId)?.state !== 'running', 10_000);
      expect(fake.calls('TerminateInstances').flatMap((c) => (c.input as { InstanceIds: string[] }).InstanceIds)).toEqual([youngId]);
    });

    it('stopping a server terminates its instance only after ECS reports its task stopped', async () => {
      install();
      const [seeded] = await fake.seedTasks(1);
      const manager = await start({ ADMIN_TOKEN: TOKEN, MIN_SERVERS: '0', UPSCALE_MARGIN: '0', DOWNSCALE_MARGIN: '11' });
      await waitFor('the server ready', async () => (await acceptingServers(manager)).length === 1);
      const fleet = await fleetOf(manager);
      const stop = await fetch(`${manager.url}/fleet/servers/${fleet.servers[0].id}/stop`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(stop.status).toBe(202);
      await waitFor('the instance to be terminated', () => fake.calls('TerminateInstances').length > 0);
      const task = fake.tasks().find((t) => t.taskArn === seeded.taskArn)!;
      expect(task.stoppedReason).toBe('stopped by fleet-manager');
      expect(task.stoppedAt).toBeDefined();
      expect(fake.calls('TerminateInstances')[0].at.getTime()).toBeGreaterThanOrEqual(task.stoppedAt!.getTime());
    });

    it("an operator's stop that ECS refuses: answered 202, the server back as it was, and GET /fleet says why", async () => {
      install();
      const [seeded] = await fake.seedTasks(1);
      const manager = await start({ ADMIN_TOKEN: TOKEN });
      await waitFor('the server ready', async () => (await acceptingServers(manager)).length === 1);
      const seen = async () => (await fleetOf(manager)).servers.find((s) => s.platformIds.taskArn === seeded.taskArn);
      const before = await seen();
      expect(before?.lastRefusal).toBeUndefined();

      fake.failNext('StopTask', 1, accessDenied('ecs:StopTask', seeded.taskArn));
      const stop = await fetch(`${manager.url}/fleet/servers/${before!.id}/stop`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(stop.status).toBe(202);
      await waitFor('the refusal in the fleet view', async () => (await seen())?.lastRefusal !== undefined);

      const after = await seen();
      expect(after).toMatchObject({ state: 'ready', lastRefusal: { action: 'stop', error: expect.stringContaining('is not authorized to perform: ecs:StopTask') } });
      expect(Date.parse(after!.lastRefusal!.at)).toBeGreaterThan(Date.parse(stop.headers.get('date')!) - 1000);
      expect(fake.tasks().find((t) => t.taskArn === seeded.taskArn)?.lastStatus).toBe('RUNNING');
    });

    it('a resync adopts a task started by someone else and forgets one stopped by someone else, without stopping anything itself', async () => {
      install();
      const [first] = await fake.seedTasks(1);
      const manager = await start({ ADMIN_TOKEN: TOKEN, ECS_RESYNC_INTERVAL: '0.3', UNHEALTHY_PLAYER_GRACE: '600', DOWNSCALE_MARGIN: '30' });
      await waitFor('the seeded server ready', async () => (await acceptingServers(manager)).length === 1);
      const [second] = await fake.seedTasks(1);
      await waitFor('the task started elsewhere to be adopted', async () => (await acceptingServers(manager)).includes(second.publicAddress!), 10_000);
      expect(fake.calls('RunInstances')).toHaveLength(0);

      players.push({ address: first.publicAddress!, socket: await connectPlayer(first.publicAddress!) });
      await new ECSClient({ region: 'ap-south-1' }).send(new StopTaskCommand({ cluster: 'default', task: first.taskArn, reason: 'stopped in the console' }));
      // It had a player, so failed probes alone would keep it for UNHEALTHY_PLAYER_GRACE (600 s): only the resync can forget it.
      await waitFor('the stopped task to leave the fleet', async () => {
        const fleet = await fleetOf(manager);
        return !fleet.servers.some((s) => s.platformIds.taskArn === first.taskArn);
      });
      const metrics = await (await fetch(`${manager.url}/metrics`)).text();
      expect(metrics).toMatch(/fleet_manager_platform_calls_total\{operation="resync"\} [1-9]/);
      expect(fake.calls('StopTask').map((c) => (c.input as { task: string }).task)).toEqual([first.taskArn]);
    });

    it('the sweep leaves an instance alone while its task is still inside its stop timeout (ECS counts it in no task count)', async () => {
      install({ gameServerScript: join(__dirname, '..', 'support', 'stubborn-game-server.js'), stopTimeoutMs: 2000 });
      const [task] = await fake.seedTasks(1);
      const manager = await start({ ECS_RESYNC_INTERVAL: '0.2', MIN_SERVERS: '0', UPSCALE_MARGIN: '0', DOWNSCALE_MARGIN: '11' });
      await waitFor('readiness', async () => (await getJson(`${manager.url}/health/ready`)).status === 200);
      // Stopped by someone else; the game server finishes its round until SIGKILL, 2 s later.
      await new ECSClient({ region: 'ap-south-1' }).send(new StopTaskCommand({ cluster: 'default', task: task.taskArn, reason: 'stopped in the console' }));
      await waitFor('the instance to be swept once the task has stopped', () => fake.calls('TerminateInstances').length > 0, 10_000);
      const stopped = fake.tasks().find((t) => t.taskArn === task.taskArn)!;
      expect(stopped.stoppedAt).toBeDefined();
      expect(fake.calls('TerminateInstances')[0].at.getTime()).toBeGreaterThanOrEqual(stopped.stoppedAt!.getTime());
    });

    it('the sweep leaves an instance alone while DescribeTasks misses a task told to stop there, and takes it once ECS shows the task stopped', async () => {
      install();
      const [task] = await fake.seedTasks(1);
      const manager = await start({ ECS_RESYNC_INTERVAL: '0.2', MIN_SERVERS: '0', UPSCALE_MARGIN: '0', DOWNSCALE_MARGIN: '11' });
      await waitFor('readiness', async () => (await getJson(`${manager.url}/health/ready`)).status === 200);
      const misses = 8;
      fake.missInDescribe(task.taskArn, misses);
      await new ECSClient({ region: 'ap-south-1' }).send(new StopTaskCommand({ cluster: 'default', task: task.taskArn, reason: 'stopped in the console' }));
      await waitFor('the instance to be swept', () => fake.calls('TerminateInstances').length > 0, 15_000);
      const sweptAt = fake.calls('TerminateInstances')[0].at.getTime();
      const describedBefore = fake.calls('DescribeTasks').filter((call) => call.at.getTime() <= sweptAt && (call.input as { tasks: string[] }).tasks.includes(task.taskArn));
      expect(describedBefore.length).toBeGreaterThan(misses);
    });

    it('the sweep leaves an instance alone while ECS cannot describe its container instance: a task of another family may run there', async () => {
      const game = { family: 'LaunchGameserver', revision: 1, networkMode: 'bridge' as const, containers: [{ name: 'gameserver', containerPort: 8000 }] };
      install({ taskDefinitions: [game, { ...game, family: 'Other' }] });
      // On an instance of the fleet (an operator's RunTask placed it there, say): no server of the fleet stands for it.
      const [other] = await fake.seedTasks(1, { taskDefinition: 'Other:1', fleet: 'LaunchGameserver' });
      fake.missInDescribe(other.containerInstanceArn!, 1000);
      const manager = await start({ LAUNCH_TIMEOUT: '1', ECS_RESYNC_INTERVAL: '0.2', MIN_SERVERS: '0', UPSCALE_MARGIN: '0' });
      await waitFor('readiness', async () => (await getJson(`${manager.url}/health/ready`)).status === 200);
      // Past LAUNCH_TIMEOUT the instance is old enough to be swept; each resync sweeps.
      await sleep(1000);
      const listed = fake.calls('ListTasks').length;
      await waitFor('three more resyncs', () => fake.calls('ListTasks').length >= listed + 3);
      expect(fake.calls('TerminateInstances')).toHaveLength(0);
      expect(fake.calls('DescribeContainerInstances').length).toBeGreaterThanOrEqual(3);
      expect(running(fake).tasks.map((task) => task.taskArn)).toEqual([other.taskArn]);
    });

    it('a server told to stop leaves the fleet at the next resync, while ListTasks still lists it and its game server still answers', async () => {
      // The game server finishes its round until SIGKILL, a minute later; ListTasks lists the task as RUNNING as long.
      install({ gameServerScript: join(__dirname, '..', 'support', 'stubborn-game-server.js'), stopTimeoutMs: 60_000, listStoppedLagMs: 60_000 });
      const [task] = await fake.seedTasks(1);
      const manager = await start({ ADMIN_TOKEN: TOKEN, ECS_RESYNC_INTERVAL: '0.2', DOWNSCALE_MARGIN: '30' });
      await waitFor('the server ready', async () => (await acceptingServers(manager)).length === 1);
      await new ECSClient({ region: 'ap-south-1' }).send(new StopTaskCommand({ cluster: 'default', task: task.taskArn, reason: 'stopped in the console' }));
      await waitFor('the stopped server to leave the fleet', async () => {
        const fleet = await fleetOf(manager);
        return !fleet.servers.some((s) => s.platformIds.taskArn === task.taskArn);
      });
      expect(await acceptingServers(manager)).not.toContain(task.publicAddress);
    });

    it('a server that DescribeTasks misses for a while is not forgotten by a resync', async () => {
      install();
      const [task] = await fake.seedTasks(1);
      const manager = await start({ ADMIN_TOKEN: TOKEN, ECS_RESYNC_INTERVAL: '0.2', DOWNSCALE_MARGIN: '30' });
      await waitFor('the server ready', async () => (await acceptingServers(manager)).length === 1);
      fake.missInDescribe(task.taskArn, 5);
      await waitFor('the misses to be used up', () => fake.calls('DescribeTasks').length >= 5);
      // Two more resyncs, begun after the last miss, have ended: a forgetting one would have shown by now.
      const listed = fake.calls('ListTasks').length;
      await waitFor('two more resyncs', () => fake.calls('ListTasks').length >= listed + 3);
      const fleet = await fleetOf(manager);
      expect(fleet.servers.map((s) => s.platformIds.taskArn)).toEqual([task.taskArn]);
      expect(fake.calls('TerminateInstances')).toHaveLength(0);
    });

    it('launches are idempotent: the server id is the client token of RunInstances', async () => {
      install();
      const manager = await start();
      await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
      const [call] = fake.calls('RunInstances');
      const input = call.input as { ClientToken: string; TagSpecifications: { Tags: { Key: string; Value: string }[] }[] };
      expect(input.ClientToken).toBe(input.TagSpecifications[0].Tags.find((t) => t.Key === SERVER_ID_TAG)?.Value);
    });

    it('a StartTask failure no retry can mend (ATTRIBUTE) fails the launch at once', async () => {
      install();
      fake.failStartTask(1, 'ATTRIBUTE');
      const manager = await start();
      await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1, 20_000);
      const [failed, succeeded] = fake.calls('RunInstances').map((c) => (c.input as { ClientToken: string }).ClientToken);
      expect(succeeded).toBeDefined();
      expect(fake.calls('StartTask').filter((c) => (c.input as { tags: { value: string }[] }).tags[0].value === failed)).toHaveLength(1);
    });
  });

  it("rolls out a revision registered while it runs: launches use it, and the old revision's servers are drained one at a time and replaced", async () => {
    const revision = (n: number) => ({ family: 'LaunchGameserver', revision: n, networkMode: 'bridge' as const, containers: [{ name: 'gameserver', containerPort: 8000 }] });
    install({ taskDefinitions: [revision(1)] });
    const old = await fake.seedTasks(2, { taskDefinition: 'LaunchGameserver:1' });
    const manager = await start({ ADMIN_TOKEN: TOKEN, MIN_SERVERS: '2', ECS_RESYNC_INTERVAL: '0.3' });
    await waitFor('the two servers ready', async () => (await acceptingServers(manager)).length === 2);
    await sleep(700);
    expect(fake.calls('StartTask')).toHaveLength(0);

    fake.registerTaskDefinition(revision(2));
    let mostOldDraining = 0;
    await waitFor(
      'the old revision gone, two servers of the new one ready',
      async () => {
        const fleet = await fleetOf(manager);
        mostOldDraining = Math.max(mostOldDraining, fleet.servers.filter((s) => s.outdated && s.state === 'draining').length);
        const current = fleet.servers.filter((s) => s.version.endsWith('LaunchGameserver:2') && s.state === 'ready');
        const oldStopped = old.every((task) => fake.tasks().find((t) => t.taskArn === task.taskArn)?.lastStatus === 'STOPPED');
        return current.length >= 2 && oldStopped;
      },
      30_000,
    );
    expect(mostOldDraining).toBeLessThanOrEqual(1);
    const runningNow = fake.tasks().filter((t) => t.lastStatus === 'RUNNING');
    expect(runningNow).toHaveLength(2);
    expect((await new ECSClient({ region: 'ap-south-1' }).send(new DescribeTasksCommand({ tasks: runningNow.map((t) => t.taskArn) }))).tasks!.map((t) => t.taskDefinitionArn)).toEqual([
      'arn:aws:ecs:ap-south-1:123456789012:task-definition/LaunchGameserver:2',
      'arn:aws:ecs:ap-south-1:123456789012:task-definition/LaunchGameserver:2',
    ]);
  });

  describe('eventual consistency: DescribeTasks answers MISSING for a task just created', () => {
    it('a launch waits for its task to appear instead of failing', async () => {
      install({ describeLagMs: 600 });
      const manager = await start();
      await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
      expect(fake.calls('RunInstances')).toHaveLength(1);
      expect(fake.calls('StartTask')).toHaveLength(1);
      const metrics = await (await fetch(`${manager.url}/metrics`)).text();
      expect(metrics).not.toMatch(/fleet_manager_platform_errors_total\{operation="launch"\} [1-9]/);
    });
  });

  it('terminates an instance left without a task by a manager that crashed between RunInstances and StartTask', async () => {
    install();
    await fake.seedTasks(1);
    const orphanId = await launchInstanceAsManager('gs-crashed0001');
    // Older than LAUNCH_TIMEOUT: no launch in flight can still own it.
    fake.backdateInstance(orphanId, 301_000);

    const manager = await start();
    await waitFor('readiness', async () => (await getJson(`${manager.url}/health/ready`)).status === 200);
    await waitFor('the orphan to be terminated', () => fake.instances().find((i) => i.instanceId === orphanId)?.state !== 'running');
    expect(fake.calls('TerminateInstances').flatMap((c) => (c.input as { InstanceIds: string[] }).InstanceIds)).toEqual([orphanId]);
    expect(running(fake).instances).toHaveLength(1);
  });

  it('a manager that crashed after StartTask: the half-started task is stopped and its instance terminated', async () => {
    install({ taskStartMs: 3000 });
    const ecs = new ECSClient({ region: 'ap-south-1' });
    const instanceId = await launchInstanceAsManager('gs-crashed0002');
    const containerInstance = await waitFor('the instance to join', async () => {
      const listed = await ecs.send(new ListContainerInstancesCommand({ cluster: 'default', filter: `ec2InstanceId == ${instanceId}` }));
      return listed.containerInstanceArns?.[0];
    });
    const started = await ecs.send(
      new StartTaskCommand({ cluster: 'default', taskDefinition: 'LaunchGameserver', containerInstances: [containerInstance], tags: [{ key: SERVER_ID_TAG, value: 'gs-crashed0002' }], startedBy: 'fleet-manager' }),
    );
    const taskArn = started.tasks?.[0]?.taskArn;
    fake.backdateInstance(instanceId, 301_000);

    // The task is stopped at start-up; the instance, still busy with it then, goes with the next resync.
    const manager = await start({ ECS_RESYNC_INTERVAL: '0.3' });
    await waitFor('readiness', async () => (await getJson(`${manager.url}/health/ready`)).status === 200);
    expect(fake.calls('StopTask').map((c) => (c.input as { task: string }).task)).toContain(taskArn);
    await waitFor('the instance to be terminated', () => fake.instances().find((i) => i.instanceId === instanceId)?.state !== 'running');
    await waitFor('a fresh server in its place', async () => (await acceptingServers(manager)).length === 1, 15_000);
    const now = running(fake);
    expect(now.instances).toHaveLength(1);
    expect(now.tasks).toHaveLength(1);
  });

  it('a manager that crashed between StopTask and TerminateInstances: the instance left without a task is terminated', async () => {
    install();
    const [kept, stopped] = await fake.seedTasks(2);
    const ecs = new ECSClient({ region: 'ap-south-1' });
    await ecs.send(new StopTaskCommand({ cluster: 'default', task: stopped.taskArn, reason: 'stopped by fleet-manager' }));
    await waitFor('the task to stop', () => fake.tasks().find((t) => t.taskArn === stopped.taskArn)?.lastStatus === 'STOPPED');

    const manager = await start({ DOWNSCALE_MARGIN: '30' });
    await waitFor('readiness', async () => (await getJson(`${manager.url}/health/ready`)).status === 200);
    await waitFor('the instance to be terminated', () => fake.instances().find((i) => i.instanceId === stopped.ec2InstanceId)?.state !== 'running');
    // Readiness comes with the rebuild; the adopted server takes players after its first probe.
    await waitFor('the kept server to take players', async () => (await acceptingServers(manager)).length === 1);
    expect(await acceptingServers(manager)).toEqual([kept.publicAddress!]);
    expect(running(fake).instances.map((i) => i.instanceId)).toEqual([kept.ec2InstanceId]);
  });

  it('a storm of throttling, 5xx, timeouts and capacity errors during discovery and launch: the loop goes on, nothing is launched twice, nothing leaks', async () => {
    install();
    fake.failNext('ListTasks', 2, 'throttle');
    fake.failNext('DescribeTasks', 1, 'server');
    fake.failNext('DescribeContainerInstances', 1, 'timeout');
    fake.failNext('RunInstances', 2, 'throttle');
    fake.failNext('ListContainerInstances', 3, 'throttle');
    fake.failStartTask(2, 'RESOURCE:MEMORY');
    const manager = await start();

    await waitFor('one ready server despite the storm', async () => (await acceptingServers(manager)).length === 1, 30_000);
    await sleep(500);
    const now = running(fake);
    expect(now.instances).toHaveLength(1);
    expect(now.tasks).toHaveLength(1);
    expect(now.tasks[0].ec2InstanceId).toBe(now.instances[0].instanceId);
    const launched = fake.instances().map((i) => i.tags[SERVER_ID_TAG]);
    expect(new Set(launched).size).toBe(launched.length);
    const metrics = await (await fetch(`${manager.url}/metrics`)).text();
    expect(metrics).toMatch(/fleet_manager_platform_errors_total\{operation="discover"\} [1-9]/);
    expect((await getJson(`${manager.url}/health`)).status).toBe(200);
  });

  describe('faults on the calls that change things', () => {
    it('a failed StopTask, and a failed TerminateInstances, are tried again on later passes until the server is gone', async () => {
      install();
      const [kept] = await fake.seedTasks(1);
      // Draining and empty: the policy stops it on its first pass.
      const [drained] = await fake.seedTasks(1, { draining: true });
      fake.failNext('StopTask', 2, 'server');
      fake.failNext('TerminateInstances', 1, 'server');
      const manager = await start();

      await waitFor('the drained task to stop and its instance to be terminated', () =>
        fake.tasks().find((t) => t.taskArn === drained.taskArn)?.lastStatus === 'STOPPED' &&
        fake.instances().find((i) => i.instanceId === drained.ec2InstanceId)?.state !== 'running', 15_000);
      const stops = fake.calls('StopTask').filter((c) => (c.input as { task: string }).task === drained.taskArn);
      expect(stops.length).toBeGreaterThanOrEqual(3);
      expect(fake.calls('TerminateInstances').length).toBeGreaterThanOrEqual(2);
      const metrics = await (await fetch(`${manager.url}/metrics`)).text();
      expect(metrics).toMatch(/fleet_manager_platform_errors_total\{operation="stop"\} [1-9]/);
      expect(running(fake).tasks.map((t) => t.taskArn)).toEqual([kept.taskArn]);
    });

    it('a drain whose tag ECS refused is undone: the manager does not claim a drain a restart would not see', async () => {
      install();
      const [target] = await fake.seedTasks(2);
      // Enough room without the target, and not so much that the policy drains a server itself.
      const manager = await start({ ADMIN_TOKEN: TOKEN, DOWNSCALE_MARGIN: '25' });
      const admin = { authorization: `Bearer ${TOKEN}` };
      const id = target.tags[SERVER_ID_TAG];
      const view = async () => (await getJson<{ servers: { id: string; state: string; readyToClose: boolean }[] }>(`${manager.url}/fleet`, admin)).body.servers.find((s) => s.id === id);
      // A player on it, so that a drained target is kept draining, not stopped.
      players.push({ address: target.publicAddress!, socket: await connectPlayer(target.publicAddress!) });
      await waitFor('the target ready, with its player reported', async () => {
        const server = await view();
        return server?.state === 'ready' && !server.readyToClose;
      });

      fake.failNext('TagResource', 1, 'server');
      expect((await getJson(`${manager.url}/fleet/servers/${id}/drain`, admin, 'POST')).status).toBe(202);
      await waitFor('the refused tag', () => fake.calls('TagResource').length === 1);
      await waitFor('the drain to be undone', async () => (await view())?.state === 'ready');
      expect(fake.tasks().find((t) => t.taskArn === target.taskArn)?.tags[DRAINING_TAG]).toBeUndefined();

      expect((await getJson(`${manager.url}/fleet/servers/${id}/drain`, admin, 'POST')).status).toBe(202);
      await waitFor('the drain tag on the task', () => fake.tasks().find((t) => t.taskArn === target.taskArn)?.tags[DRAINING_TAG] !== undefined);
      expect((await view())?.state).toBe('draining');
    });
  });

  it('with 300 tasks, start-up makes at most ceil(300/100) describe calls of each kind, and steady passes make none', async () => {
    install({ runGameServers: false });
    await fake.seedTasks(300);
    // The seeded tasks run no game server, so they stay launching; MIN_SERVERS=300 keeps the policy from
    // draining any that a stray process on its port might make look ready.
    const manager = await start({ ADMIN_TOKEN: TOKEN, LAUNCH_TIMEOUT: '600', MIN_SERVERS: '300', MAX_SERVERS: '300' });
    await waitFor('readiness', async () => (await getJson(`${manager.url}/health/ready`)).status === 200);
    await fetch(`${manager.url}/fleet/reconcile`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });

    expect(fake.calls('ListTasks')).toHaveLength(3);
    expect(fake.calls('DescribeTasks')).toHaveLength(3);
    expect(fake.calls('DescribeContainerInstances')).toHaveLength(3);
    expect(fake.calls('DescribeInstances').length).toBeLessThanOrEqual(2);

    const before = fake.calls().length;
    for (let i = 0; i < 3; i++) await fetch(`${manager.url}/fleet/reconcile`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(fake.calls().slice(before).map((c) => c.operation)).toEqual([]);
  });

  it('a scale-up of 6 servers at once polls ECS as one launch would: one ListContainerInstances and one DescribeTasks per poll for all', async () => {
    install();
    const manager = await start({ MIN_SERVERS: '6', UPSCALE_MARGIN: '0' });
    await waitFor('six ready servers', async () => (await acceptingServers(manager)).length === 6, 30_000);

    expect(fake.calls('RunInstances')).toHaveLength(6);
    // A poll asks about all the instances still booting in one filter, and about all the tasks starting in one call.
    const lists = fake.calls('ListContainerInstances');
    const asked = lists.map((call) => (call.input as { filter: string }).filter.match(/i-[0-9a-f]+/g)?.length ?? 0);
    expect(Math.max(...asked)).toBeGreaterThanOrEqual(5);
    const describes = fake.calls('DescribeTasks');
    expect(Math.max(...describes.map((call) => (call.input as { tasks: string[] }).tasks.length))).toBeGreaterThanOrEqual(5);
    // So polls follow the clock, one per ECS_POLL_INTERVAL (50 ms) at the most, however many launch:
    // unshared, each of the six launches would poll on its own.
    const pollsAtMost = (calls: { at: Date }[]) => (calls.at(-1)!.at.getTime() - calls[0].at.getTime()) / 50 + 2;
    expect(lists.length).toBeLessThanOrEqual(pollsAtMost(lists));
    expect(describes.length).toBeLessThanOrEqual(pollsAtMost(describes));
  });

  it('Fargate: RunTask with awsvpc networking, the address from the ENI at the container port (no bindings), and stop', async () => {
    install({ taskDefinitions: [{ family: 'LaunchGameserver', networkMode: 'awsvpc', containers: [{ name: 'gameserver', containerPort: 7777 }] }] });
    const manager = await start({
      ECS_LAUNCH_TYPE: 'FARGATE',
      ECS_SUBNETS: 'subnet-0abc,subnet-0def',
      ECS_SECURITY_GROUPS: 'sg-0123',
      ADMIN_TOKEN: TOKEN,
    });
    const [address] = await waitFor('one ready server', async () => {
      const servers = await acceptingServers(manager);
      return servers.length === 1 && servers;
    });
    const [task] = running(fake).tasks;
    const eni = fake.tasks()[0].networkInterfaceId;
    // The ENI's public address (ECS_ASSIGN_PUBLIC_IP defaults to ENABLED) at the container port.
    expect(address).toBe(task.publicAddress);
    expect(address).toMatch(/:7777$/);
    expect(eni).toBeDefined();
    expect(fake.calls('RunTask')[0].input).toMatchObject({
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0abc', 'subnet-0def'], securityGroups: ['sg-0123'], assignPublicIp: 'ENABLED' } },
    });
    expect(fake.calls('DescribeNetworkInterfaces').length).toBeGreaterThanOrEqual(1);
    expect(fake.calls('RunInstances')).toHaveLength(0);

    const fleet = await fleetOf(manager);
    const stop = await fetch(`${manager.url}/fleet/servers/${fleet.servers[0].id}/stop`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(stop.status).toBe(202);
    await waitFor('the task to stop', () => fake.tasks().find((t) => t.taskArn === task.taskArn)?.lastStatus === 'STOPPED');
    expect(fake.calls('TerminateInstances')).toHaveLength(0);
  });
});
