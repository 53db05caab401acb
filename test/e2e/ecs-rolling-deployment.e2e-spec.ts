import { setTimeout as sleep } from 'node:timers/promises';
import { ECS_ENV, launchInstanceAsManager } from '../support/ecs';
import { RunningDynalite, startDynalite, TEST_CREDENTIALS } from '../support/dynalite';
import { FakeAws } from '../support/fake-aws/fake-aws';
import { acceptingServers, getJson, RunningManager, startManager, waitFor } from '../support/manager';
import { ArrivedPlayer, arrive, leave } from '../support/players';

const TOKEN = 'rolling-deployment-admin-token';
/** Every call that changes something on ECS or EC2. */
const CHANGES = ['RunInstances', 'TerminateInstances', 'CreateTags', 'StartTask', 'RunTask', 'StopTask', 'TagResource', 'UntagResource'];

/**
 * An ECS service's rolling deployment (minimum healthy 100 %, maximum 200 %): the new manager's
 * task starts while the old one runs, and the old one is stopped once the new one is up. Both
 * managers are the real application with the real SDK clients, on the fake AWS of the tests for
 * ECS and EC2, and on dynalite, a real DynamoDB implementation, for the lease.
 */
describe('a rolling deployment on ECS with a lease table', () => {
  let dynamo: RunningDynalite;
  let fake: FakeAws;
  const managers: RunningManager[] = [];
  let players: ArrivedPlayer[] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    dynamo = await startDynalite();
    await dynamo.createLeaseTable('fleet-manager-lease');
    // How the SDK finds a DynamoDB endpoint of its own (service-specific endpoint variable), and credentials for it.
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  });
  afterAll(async () => {
    await leave(players);
    for (const manager of managers.splice(0)) await manager.close();
    await fake?.close();
    await dynamo.close();
    process.env = saved;
  });

  const start = async (env: Record<string, string> = {}) => {
    const manager = await startManager({
      ...ECS_ENV,
      LEASE_TABLE: 'fleet-manager-lease',
      LEASE_DURATION: '3',
      LEASE_RENEW_INTERVAL: '0.5',
      LEASE_ACQUIRE_INTERVAL: '0.25',
      MIN_SERVERS: '3',
      ADMIN_TOKEN: TOKEN,
      ...env,
    });
    managers.push(manager);
    return manager;
  };
  const changes = () => Object.fromEntries(CHANGES.map((operation) => [operation, fake.calls(operation).length]));
  const role = async (manager: RunningManager) => (await getJson<{ manager: { role: string } }>(`${manager.url}/fleet`, { authorization: `Bearer ${TOKEN}` })).body.manager.role;
  const live = () => ({
    instances: fake.instances().filter((i) => i.state === 'running' || i.state === 'pending').map((i) => i.instanceId).sort(),
    tasks: fake.tasks().filter((t) => t.lastStatus !== 'STOPPED').map((t) => t.taskArn).sort(),
  });

  it('keeps one acting manager: nothing of either is stopped, leaked or launched twice', async () => {
    // Instances that boot in a second: the new manager starts while the old one's launches are in flight.
    fake = FakeAws.install({ instanceBootMs: 1000 });
    const old = await start();
    await waitFor('the old manager to launch the fleet', () => fake.calls('RunInstances').length === 3);
    expect(fake.tasks().filter((t) => t.lastStatus === 'RUNNING')).toHaveLength(0);

    // What a crashed manager before them left: an instance without a task, older than LAUNCH_TIMEOUT.
    // The old manager resyncs only every 120 s; the new one lists the fleet every 0.3 s, so that a
    // standby that swept anything would show it.
    const orphanId = await launchInstanceAsManager('gs-crashed0001');
    fake.backdateInstance(orphanId, 301_000);
    const next = await start({ ECS_RESYNC_INTERVAL: '0.3' });
    expect(await role(next)).toBe('standby');
    await waitFor('the old manager’s three servers to be ready', async () => (await acceptingServers(old)).length === 3);
    for (let i = 0; i < 4; i++) players.push(await arrive(old));
    const launched = changes();
    // Three launches of the old manager, and the orphan's own RunInstances.
    expect(launched).toMatchObject({ RunInstances: 4, StartTask: 3, StopTask: 0, TerminateInstances: 0 });
    const fleetBefore = live();
    expect(fleetBefore.tasks).toHaveLength(3);
    expect(fleetBefore.instances).toContain(orphanId);

    // Side by side for a while: several renewals, standby resyncs and leader passes; nothing changes.
    await sleep(3000);
    expect(changes()).toEqual(launched);
    expect((await getJson(`${next.url}/health/ready`)).status).toBe(503);
    expect((await getJson(`${next.url}/available-gameserver/`)).status).toBe(503);

    // The deployment stops the old task: it releases the lease, and the new one takes over.
    const stoppedAt = performance.now();
    await old.close();
    managers.splice(managers.indexOf(old), 1);
    await waitFor('the new manager to take over', async () => (await getJson(`${next.url}/health/ready`)).status === 200, 5_000);
    const takeoverMs = performance.now() - stoppedAt;
    console.log(`rolling deployment on ECS: the new manager led ${Math.round(takeoverMs)} ms after the old one began to stop`);
    expect(takeoverMs).toBeLessThan(2000);
    await waitFor('the new manager to serve the three servers', async () => (await acceptingServers(next)).length === 3);
    await sleep(1500);

    // The new leader swept the orphan, and changed nothing else.
    expect(fake.calls('TerminateInstances').flatMap((c) => (c.input as { InstanceIds: string[] }).InstanceIds)).toEqual([orphanId]);
    expect({ ...changes(), TerminateInstances: 0 }).toEqual(launched);
    expect(live()).toEqual({ ...fleetBefore, instances: fleetBefore.instances.filter((id) => id !== orphanId) });
    expect(players.every((p) => p.socket.readyState === p.socket.OPEN)).toBe(true);
    players.push(await arrive(next));
    expect(fake.calls('RunInstances')).toHaveLength(4);
  });
});
