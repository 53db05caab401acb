import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@nestjs/common';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Settings } from '../../src/config/settings';
import { DynamoDbLeaseStore } from '../../src/leadership/dynamodb-lease-store';
import { FileLeaseStore } from '../../src/leadership/file-lease-store';
import { LeaseRecord } from '../../src/leadership/lease-record';
import { LeaseStore } from '../../src/leadership/lease-store';
import { leaseClientConfig } from '../../src/leadership/leadership.module';
import { Leadership } from '../../src/leadership/leadership.service';
import { ACTING_MARGIN_SHARE, ActingFence } from '../../src/lifecycle/acting-fence';
import { FleetMetrics } from '../../src/metrics/fleet-metrics';
import { RunningDynalite, startDynalite, TEST_CREDENTIALS } from '../support/dynalite';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';

/** Short leases, so that a takeover takes seconds: a 2 s lease, renewed every 0.4 s, looked at every 0.2 s. */
const SETTINGS: Settings = Object.assign(new Settings(), {
  PLATFORM: 'ecs' as const,
  AWS_REGION: 'ap-south-1',
  LEASE_DURATION: 2,
  LEASE_RENEW_INTERVAL: 0.4,
  LEASE_ACQUIRE_INTERVAL: 0.2,
});
const DURATION_MS = SETTINGS.LEASE_DURATION * 1000;

/** A fence that remembers every window it was given: when it was opened, and until when. */
class RecordingFence extends ActingFence {
  readonly windows: { openedAt: number; until: number }[] = [];
  override openUntil(until: number): void {
    this.windows.push({ openedAt: performance.now(), until });
    super.openUntil(until);
  }
}

/** One manager's leadership, with its own fence and metrics, and the moments its role changed (performance.now()). */
interface Manager {
  readonly leadership: Leadership;
  readonly fence: RecordingFence;
  readonly metrics: FleetMetrics;
  readonly ledAt: number[];
  /** Sent-at of each write of this manager that the store accepted. */
  readonly acceptedWrites: number[];
  stop(): Promise<void>;
}

/** Records when each accepted write was sent: the leader's lease runs from there. */
function recording(store: LeaseStore, acceptedWrites: number[]): LeaseStore {
  return {
    description: store.description,
    read: () => store.read(),
    remove: (expected) => store.remove(expected),
    async write(record: LeaseRecord, expected: string | undefined) {
      const sentAt = performance.now();
      const accepted = await store.write(record, expected);
      if (accepted) acceptedWrites.push(sentAt);
      return accepted;
    },
  };
}

const running: Manager[] = [];

beforeAll(() => Logger.overrideLogger(process.env.TEST_LOGS ? ['log', 'warn', 'error'] : false));

function startLeadership(store: LeaseStore | null, settings: Settings = SETTINGS): Manager {
  const fence = new RecordingFence();
  const metrics = new FleetMetrics(settings);
  const acceptedWrites: number[] = [];
  const leadership = new Leadership(store && recording(store, acceptedWrites), fence, settings, metrics);
  const ledAt: number[] = [];
  const subscription = leadership.roles.subscribe((role) => role === 'leader' && ledAt.push(performance.now()));
  leadership.onApplicationBootstrap();
  const manager: Manager = {
    leadership,
    fence,
    metrics,
    ledAt,
    acceptedWrites,
    stop: async () => {
      subscription.unsubscribe();
      await leadership.onModuleDestroy();
    },
  };
  running.push(manager);
  return manager;
}

async function stopRunning(): Promise<void> {
  for (const manager of running.splice(0)) await manager.stop();
}

afterEach(stopRunning);

async function metric(manager: Manager, name: string): Promise<string> {
  const text = await manager.metrics.registry.metrics();
  return text.split('\n').filter((line) => line.startsWith(`fleet_manager_${name}`)).join('\n');
}

describe('two managers on one state directory (the lock-file lease)', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'leadership-'))));
  // The managers first: a renewal still under way would write into the directory being removed.
  afterEach(async () => {
    await stopRunning();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets exactly one act, and the other take over within a look at the lease once it shuts down', async () => {
    const settings = Object.assign(new Settings(), { ...SETTINGS, PLATFORM: 'local' as const });
    const a = startLeadership(new FileLeaseStore(dir), settings);
    const b = startLeadership(new FileLeaseStore(dir), settings);
    await waitFor('one of them to lead', () => a.leadership.isLeader || b.leadership.isLeader);
    // Long enough for several renewals and looks: still exactly one.
    for (let i = 0; i < 20; i++) {
      expect([a, b].filter((m) => m.fence.mayAct())).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [leader, standby] = a.leadership.isLeader ? [a, b] : [b, a];
    expect(standby.leadership.status()).toMatchObject({ role: 'standby', leader: leader.leadership.id });
    expect(leader.leadership.status()).toMatchObject({ role: 'leader', leader: leader.leadership.id, lease: `file ${join(dir, 'leader.lease')}` });

    const stoppedAt = performance.now();
    await leader.stop();
    expect(leader.fence.mayAct()).toBe(false);
    await waitFor('the standby to lead', () => standby.leadership.isLeader, 5_000);
    const takeoverMs = standby.ledAt[0] - stoppedAt;
    expect(takeoverMs).toBeLessThan(settings.LEASE_ACQUIRE_INTERVAL * 1000 + 500);
    expect(await metric(standby, 'lease_takeovers_total')).toContain('fleet_manager_lease_takeovers_total{from="free"} 1');
    expect(await metric(standby, 'leader ')).toBe('fleet_manager_leader 1');
  });
});

describe('managers sharing a DynamoDB lease (dynalite)', () => {
  let dynamo: RunningDynalite;
  let table: string;
  let proxy: TcpProxy;
  const storeAt = (endpoint: string) => new DynamoDbLeaseStore(new DynamoDBClient({ ...leaseClientConfig(SETTINGS), endpoint, credentials: TEST_CREDENTIALS }), table, 'LaunchGameserver');

  beforeEach(async () => {
    dynamo = await startDynalite();
    table = await dynamo.createLeaseTable('fleet-manager-lease');
    proxy = await startTcpProxy(dynamo.endpoint.replace('http://', ''));
  });
  afterEach(async () => {
    for (const manager of running.splice(0)) await manager.stop();
    await proxy.close();
    await dynamo.close();
  });

  it('a leader cut off from the store stops acting before its lease ends, and the standby acts only after it has', async () => {
    const a = startLeadership(storeAt(proxy.endpoint));
    await waitFor('the first manager to lead', () => a.leadership.isLeader, 5_000);
    const b = startLeadership(storeAt(dynamo.endpoint));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(b.leadership.status()).toMatchObject({ role: 'standby', leader: a.leadership.id });

    const cutAt = performance.now();
    proxy.cut();
    await waitFor('the standby to take over', () => b.leadership.isLeader, 10_000);

    // Each window the old leader was given ends a safety margin before the lease it renewed; the last one before the standby's first.
    const lastAccepted = a.acceptedWrites.at(-1)!;
    const aLastUntil = Math.max(...a.fence.windows.map((w) => w.until));
    const bFirstOpened = b.fence.windows[0].openedAt;
    // The manager reads its clock just before it builds and sends the write, this wrapper just after:
    // never later than the lease allows, and earlier only by that moment (a few ms; more on a loaded machine).
    const allowedUntil = lastAccepted + DURATION_MS * (1 - ACTING_MARGIN_SHARE);
    expect(aLastUntil).toBeLessThanOrEqual(allowedUntil + 0.5);
    expect(aLastUntil).toBeGreaterThan(allowedUntil - 100);
    expect(aLastUntil).toBeLessThan(bFirstOpened);
    // ...and the standby acted only once the old lease had ended by the same clock.
    expect(bFirstOpened).toBeGreaterThanOrEqual(lastAccepted + DURATION_MS);
    expect(a.fence.mayAct()).toBe(false);
    expect(a.leadership.role).toBe('standby');
    // The takeover came within the lease, the renewal interval and a look at the lease, after the last renewal.
    expect(b.ledAt[0] - cutAt).toBeLessThan(DURATION_MS + (SETTINGS.LEASE_RENEW_INTERVAL + SETTINGS.LEASE_ACQUIRE_INTERVAL) * 1000 + 500);
    expect(await metric(b, 'lease_takeovers_total')).toContain('{from="expired"} 1');
    expect(await metric(a, 'lease_renewal_failures_total')).toMatch(/fleet_manager_lease_renewal_failures_total [1-9]/);
  });

  it('with the store gone for everyone, nobody acts once the leader’s margin has passed', async () => {
    const a = startLeadership(storeAt(dynamo.endpoint));
    await waitFor('the first manager to lead', () => a.leadership.isLeader, 5_000);
    const b = startLeadership(storeAt(dynamo.endpoint));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stoppedAt = performance.now();
    await dynamo.close();
    await waitFor('the leader to stop acting', () => !a.fence.mayAct(), DURATION_MS + 1_000);
    expect(performance.now() - stoppedAt).toBeLessThan(DURATION_MS * (1 - ACTING_MARGIN_SHARE) + 100);
    await new Promise((resolve) => setTimeout(resolve, DURATION_MS + 500));
    expect(a.fence.mayAct() || b.fence.mayAct()).toBe(false);
    expect([a.leadership.role, b.leadership.role]).toEqual(['standby', 'standby']);
    // close() in afterEach would fail on a closed server: start a fresh one for it.
    dynamo = await startDynalite();
  });
});

describe('a leader whose store falters (the lock-file lease, with faults of the test’s making)', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'leadership-'))));
  // The managers first: a renewal still under way would write into the directory being removed.
  afterEach(async () => {
    await stopRunning();
    await rm(dir, { recursive: true, force: true });
  });

  /** The real store, whose writes can be made to fail before or after they are applied. */
  class FaultyStore extends FileLeaseStore {
    failing = false;
    loseAnswers = 0;
    override async write(record: LeaseRecord, expected: string | undefined): Promise<boolean> {
      if (this.failing) throw new Error('the store does not answer');
      const accepted = await super.write(record, expected);
      if (this.loseAnswers > 0) {
        this.loseAnswers -= 1;
        throw new Error('the answer was lost on the way back');
      }
      return accepted;
    }
  }
  const localSettings = () => Object.assign(new Settings(), { ...SETTINGS, PLATFORM: 'local' as const });

  it('keeps leading through a renewal that was applied but never answered', async () => {
    const store = new FaultyStore(dir);
    const leader = startLeadership(store, localSettings());
    await waitFor('it to lead', () => leader.leadership.isLeader);
    store.loseAnswers = 1;
    // Through the lost answer and three renewals after it, it never stops leading.
    const until = performance.now() + 4 * SETTINGS.LEASE_RENEW_INTERVAL * 1000;
    while (performance.now() < until) {
      expect(leader.leadership.role).toBe('leader');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(leader.leadership.isLeader).toBe(true);
    expect(store.loseAnswers).toBe(0);
    expect((await store.read())?.holder).toBe(leader.leadership.id);
    expect(leader.ledAt).toHaveLength(1);
  });

  it('stops acting when it cannot renew, and leads again in the same term once its own lease answers', async () => {
    const store = new FaultyStore(dir);
    const leader = startLeadership(store, localSettings());
    await waitFor('it to lead', () => leader.leadership.isLeader);
    const term = leader.leadership.term;
    store.failing = true;
    await waitFor('it to stop acting', () => !leader.fence.mayAct(), DURATION_MS);
    await waitFor('it to step down', () => leader.leadership.role === 'standby', DURATION_MS);
    store.failing = false;
    await waitFor('it to lead again', () => leader.leadership.isLeader, DURATION_MS);
    // Nobody else held the lease meanwhile: the same term, so what it knew of the fleet still holds.
    expect(leader.leadership.term).toBe(term);
    expect(await metric(leader, 'lease_takeovers_total')).toContain('{from="own"} 1');
  });
});

describe('a manager alone by configuration (ECS without LEASE_TABLE)', () => {
  it('leads at once and for good, and says once that two managers would be unsafe', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const alone = startLeadership(null);
    expect(warn.mock.calls.filter(([message]) => String(message).includes('LEASE_TABLE is not set'))).toHaveLength(1);
    warn.mockRestore();
    expect(alone.leadership.isLeader).toBe(true);
    expect(alone.fence.actingUntil()).toBe(Infinity);
    expect(alone.leadership.status()).toEqual({ role: 'leader', id: alone.leadership.id, leader: alone.leadership.id, lease: undefined, actingForMs: undefined });
    await alone.leadership.whenDecided();
  });
});
