import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbLeaseStore } from '../../src/leadership/dynamodb-lease-store';
import { FileLeaseStore } from '../../src/leadership/file-lease-store';
import { LeaseRecord, UNREADABLE_HOLDER } from '../../src/leadership/lease-record';
import { LeaseStore } from '../../src/leadership/lease-store';
import { startDynalite, RunningDynalite } from '../support/dynalite';

const record = (holder: string, token: string): LeaseRecord => ({ holder, token, durationMs: 10_000, renewedAt: new Date().toISOString() });

interface StoreCase {
  readonly name: string;
  open(): Promise<{ store: LeaseStore; another: () => LeaseStore; close: () => Promise<void> }>;
}

const CASES: StoreCase[] = [
  {
    name: 'the lock-file store on a real directory',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'lease-'));
      return { store: new FileLeaseStore(dir), another: () => new FileLeaseStore(dir), close: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'the DynamoDB store on dynalite',
    async open() {
      const dynamo: RunningDynalite = await startDynalite();
      const table = await dynamo.createLeaseTable('fleet-manager-lease');
      const client = () => dynamo.client();
      return {
        store: new DynamoDbLeaseStore(client(), table, 'LaunchGameserver'),
        another: () => new DynamoDbLeaseStore(client(), table, 'LaunchGameserver'),
        close: () => dynamo.close(),
      };
    },
  },
];

describe.each(CASES)('$name: an atomic compare-and-set of one lease record', ({ open }) => {
  let opened: Awaited<ReturnType<StoreCase['open']>>;
  beforeEach(async () => (opened = await open()));
  afterEach(() => opened.close());

  it('writes only over the token it expects, and removes only its own', async () => {
    const { store } = opened;
    expect(await store.read()).toBeUndefined();
    expect(await store.write(record('a', 't1'), 'nothing-there')).toBe(false);
    expect(await store.write(record('a', 't1'), undefined)).toBe(true);
    expect(await store.read()).toEqual(expect.objectContaining({ holder: 'a', token: 't1', durationMs: 10_000 }));
    expect(await store.write(record('b', 't2'), undefined)).toBe(false);
    expect(await store.write(record('b', 't2'), 'stale')).toBe(false);
    expect(await store.write(record('a', 't3'), 't1')).toBe(true);
    expect(await store.remove('t1')).toBe(false);
    expect((await store.read())?.token).toBe('t3');
    expect(await store.remove('t3')).toBe(true);
    expect(await store.read()).toBeUndefined();
  });

  it('lets exactly one of many managers racing for the same lease win', async () => {
    const contenders = Array.from({ length: 12 }, (_, i) => opened.another().write(record(`m${i}`, `t${i}`), undefined));
    const won = await Promise.all(contenders);
    expect(won.filter(Boolean)).toHaveLength(1);
    const winner = won.indexOf(true);
    expect((await opened.store.read())?.holder).toBe(`m${winner}`);
    // And again over the winner's token: one of them replaces it.
    const again = await Promise.all(Array.from({ length: 12 }, (_, i) => opened.another().write(record(`n${i}`, `u${i}`), `t${winner}`)));
    expect(again.filter(Boolean)).toHaveLength(1);
  });
});

describe('the lock-file store', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'lease-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('takes a lock left by a manager that died holding it, once stale', async () => {
    // What proper-lockfile leaves when its process dies inside the lock: the lock directory, with its last mtime.
    await mkdir(join(dir, 'leader.lease.lock'));
    const old = new Date(Date.now() - 60_000);
    await utimes(join(dir, 'leader.lease.lock'), old, old);
    expect(await new FileLeaseStore(dir).write(record('a', 't1'), undefined)).toBe(true);
  });

  it('takes a file that is not a lease as held by nobody known, replaced only over its own content', async () => {
    await writeFile(join(dir, 'leader.lease'), 'not json');
    const store = new FileLeaseStore(dir);
    const unreadable = await store.read();
    expect(unreadable).toMatchObject({ holder: UNREADABLE_HOLDER });
    expect(unreadable?.durationMs).toBeUndefined();
    expect(await store.write(record('a', 't1'), undefined)).toBe(false);
    await writeFile(join(dir, 'leader.lease'), 'other garbage');
    expect(await store.write(record('a', 't1'), unreadable!.token)).toBe(false);
    expect(await store.write(record('a', 't1'), (await store.read())!.token)).toBe(true);
    // Nothing named .json: the local platform reads those as game servers.
    expect((await readdir(dir)).filter((name) => name.endsWith('.json'))).toEqual([]);
  });

  it('writes nothing when it stalled inside the lock long enough to have lost it', async () => {
    /** A store whose process blocks for 3 s inside the compare-and-set, as a saturated event loop may. */
    class StallingStore extends FileLeaseStore {
      stall = false;
      override async read() {
        const found = await super.read();
        if (this.stall) {
          const until = Date.now() + 3000;
          while (Date.now() < until);
        }
        return found;
      }
    }
    const store = new StallingStore(dir);
    expect(await store.write(record('a', 't1'), undefined)).toBe(true);
    store.stall = true;
    await expect(store.write(record('a', 't2'), 't1')).rejects.toThrow(/may have been taken over.*nothing written/);
    store.stall = false;
    expect((await store.read())?.token).toBe('t1');
  });
});

describe('the DynamoDB store', () => {
  it('fails loudly when the table does not exist, rather than reading it as no lease', async () => {
    const dynamo = await startDynalite();
    try {
      const store = new DynamoDbLeaseStore(dynamo.client(), 'no-such-table', 'LaunchGameserver');
      await expect(store.read()).rejects.toThrow(/ResourceNotFound|non-existent table|not found/i);
      await expect(store.write(record('a', 't1'), undefined)).rejects.toThrow(/ResourceNotFound|non-existent table|not found/i);
    } finally {
      await dynamo.close();
    }
  });

  it('takes an item that is not a lease as held by nobody known, replaced only on the condition that it is unchanged', async () => {
    const dynamo = await startDynalite();
    try {
      const table = await dynamo.createLeaseTable('odd-lease');
      const client = dynamo.client();
      const store = new DynamoDbLeaseStore(client, table, 'LaunchGameserver');
      // Edited by hand: durationMs a string, and no token at all.
      await client.send(new PutItemCommand({ TableName: table, Item: { fleet: { S: 'LaunchGameserver' }, holder: { S: 'someone' }, durationMs: { S: '10000' } } }));
      const unreadable = await store.read();
      expect(unreadable).toMatchObject({ holder: UNREADABLE_HOLDER });
    expect(unreadable?.durationMs).toBeUndefined();
      expect(await store.write(record('a', 't1'), undefined)).toBe(false);
      expect(await store.write(record('a', 't1'), unreadable!.token)).toBe(true);
      expect(await store.write(record('b', 't2'), unreadable!.token)).toBe(false);
      expect((await store.read())?.holder).toBe('a');
    } finally {
      await dynamo.close();
    }
  });

  it('keeps the leases of two fleets in one table apart', async () => {
    const dynamo = await startDynalite();
    try {
      const table = await dynamo.createLeaseTable('shared-lease');
      const one = new DynamoDbLeaseStore(dynamo.client(), table, 'fleet-one');
      const two = new DynamoDbLeaseStore(dynamo.client(), table, 'fleet-two');
      expect(await one.write(record('a', 't1'), undefined)).toBe(true);
      expect(await two.write(record('b', 't2'), undefined)).toBe(true);
      expect((await one.read())?.holder).toBe('a');
      expect((await two.read())?.holder).toBe('b');
    } finally {
      await dynamo.close();
    }
  });
});
