import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Settings } from '../../src/config/settings';
import { ActingFence, NotActingError } from '../../src/lifecycle/acting-fence';
import { PlatformServer } from '../../src/platform/game-server-platform';
import { LocalServerRecord } from '../../src/platform/local/local-server-record';
import * as localProcess from '../../src/platform/local/local-process';
import { LocalPlatform } from '../../src/platform/local/local.platform';
import { isAlive, waitFor } from '../support/wait';

interface Health {
  available_capacity: number;
  ready_to_close: boolean;
  [extra: string]: unknown;
}

/** A game server of our own: health from CAPACITY, plus what it was given in its environment. */
const ENV_REPORTING_SERVER = `
const http = require('node:http');
const capacity = Number(process.env.CAPACITY);
http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({
    available_capacity: capacity,
    ready_to_close: true,
    port: process.env.PORT ?? null,
    capacity: process.env.CAPACITY ?? null,
    admin_token: process.env.ADMIN_TOKEN ?? null,
    greeting: process.env.GREETING ?? null,
  }));
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const STUBBORN_SERVER = `
process.on('SIGTERM', () => {});
require('node:http').createServer((req, res) => res.end('{"available_capacity":1,"ready_to_close":true}')).listen(Number(process.env.PORT), '127.0.0.1');
`;

let workDir: string;
let stateDir: string;
const launchedPids: number[] = [];
const strangers: ChildProcess[] = [];

beforeAll(() => Logger.overrideLogger(process.env.TEST_LOGS ? ['log', 'warn', 'error'] : false));

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'local-platform-'));
  stateDir = join(workDir, 'state');
});

afterEach(async () => {
  for (const pid of launchedPids.splice(0)) killGroup(pid);
  await Promise.all(strangers.splice(0).map(killAndWait));
  await rm(workDir, { recursive: true, force: true });
});

/** The platform of a manager that leads (its fence open), or, with a closed fence, of a standby. */
function newPlatform(overrides: Partial<Settings> = {}, fence = openFence()): LocalPlatform {
  return new LocalPlatform(Object.assign(new Settings(), { LOCAL_STATE_DIR: stateDir, ...overrides }), fence);
}

function openFence(): ActingFence {
  const fence = new ActingFence();
  fence.openUntil(Infinity);
  return fence;
}

/** A shell command that runs node; quoted, since the path may hold spaces. */
function nodeCommand(script: string): string {
  return `'${process.execPath}' '${script}'`;
}

async function writeScript(name: string, source: string): Promise<string> {
  const path = join(workDir, name);
  await writeFile(path, source);
  return path;
}

/** Launches through the platform and remembers the pid, so that cleanup ends the server whatever the test did. */
async function launch(platform: LocalPlatform, id: string, capacity = 2): Promise<PlatformServer> {
  const server = await platform.launch({ id, capacity });
  launchedPids.push(pidOf(server));
  return server;
}

async function storedRecord(id: string): Promise<LocalServerRecord> {
  return JSON.parse(await readFile(join(stateDir, `${id}.json`), 'utf8')) as LocalServerRecord;
}

async function stateFiles(): Promise<string[]> {
  return (await readdir(stateDir)).filter((name) => name.endsWith('.json')).sort();
}

/**
 * Makes the record `id`.json fail to read as a file does that cannot be read just now (root reads
 * any file, so a symbolic link to itself stands in: ELOOP); answers how to put it back.
 */
async function cannotBeRead(id: string): Promise<() => Promise<void>> {
  const path = join(stateDir, `${id}.json`);
  const aside = join(workDir, `${id}.json.aside`);
  const existed = await rename(path, aside).then(() => true, () => false);
  await symlink(`${id}.json`, path);
  return async () => {
    await rm(path);
    if (existed) await rename(aside, path);
  };
}

function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

async function health(address: string): Promise<Health> {
  const response = await fetch(`http://${address}/health/`, { signal: AbortSignal.timeout(1000) });
  if (response.status !== 200) throw new Error(`health answered HTTP ${response.status}`);
  return (await response.json()) as Health;
}

/** Waits until the server answers its health endpoint, and returns that answer. */
async function healthWhenUp(server: PlatformServer): Promise<Health> {
  let answer: Health | undefined;
  await waitFor(`${server.id} to answer on ${server.probeAddress}`, async () => Boolean((answer = await health(server.probeAddress))));
  return answer as Health;
}

function pidOf(server: PlatformServer): number {
  return Number(server.platformIds.pid);
}

function byId(a: PlatformServer, b: PlatformServer): number {
  return a.id.localeCompare(b.id);
}

/** Some process that is not a game server, to stand in for a recycled pid. */
async function spawnStranger(): Promise<ChildProcess> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  strangers.push(child);
  await once(child, 'spawn');
  return child;
}

describe('LocalPlatform.launch', () => {
  it('starts the sample game server on the returned loopback address with the requested capacity', async () => {
    const server = await launch(newPlatform(), 'gs-1', 3);

    expect(server).toMatchObject({ id: 'gs-1' });
    expect(server.drainingSince).toBeUndefined();
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.probeAddress).toBe(server.address);
    expect(await healthWhenUp(server)).toEqual({ available_capacity: 3, ready_to_close: true });
  });

  // The kernel names a port free when asked and may name it again before the first game server has
  // bound it: seen once as two servers on one address in the full test suite. Which port the kernel
  // names cannot be arranged, so here it names the same one twice.
  it('gives two launches in flight two ports, even when the kernel names one port twice', async () => {
    const twice = await localProcess.freeLoopbackPort();
    const named = jest.spyOn(localProcess, 'freeLoopbackPort');
    named.mockResolvedValueOnce(twice).mockResolvedValueOnce(twice);
    try {
      const platform = newPlatform();
      const servers = await Promise.all([launch(platform, 'gs-1', 3), launch(platform, 'gs-2', 4)]);

      expect(servers[0].address).not.toBe(servers[1].address);
      expect(named).toHaveBeenCalledTimes(3);
      expect((await Promise.all(servers.map(healthWhenUp))).map((report) => report.available_capacity)).toEqual([3, 4]);
    } finally {
      named.mockRestore();
    }
  });

  it('refuses a launch, saying why, when the kernel keeps naming a port a launch was given', async () => {
    const taken = await localProcess.freeLoopbackPort();
    const named = jest.spyOn(localProcess, 'freeLoopbackPort').mockResolvedValue(taken);
    try {
      const platform = newPlatform();
      await launch(platform, 'gs-1');

      await expect(platform.launch({ id: 'gs-2', capacity: 2 })).rejects.toThrow('the kernel named 10 free ports that launches were given already');
      expect(named).toHaveBeenCalledTimes(11);
    } finally {
      named.mockRestore();
    }
  });

  it('records the server in the state directory', async () => {
    const server = await launch(newPlatform(), 'gs-1', 3);

    const record = await storedRecord('gs-1');
    expect(record).toMatchObject({ id: 'gs-1', pid: pidOf(server), capacity: 3, draining: false });
    expect(server.address).toBe(`127.0.0.1:${record.port}`);
    expect(isAlive(record.pid)).toBe(true);
  });

  it('records the pid of the game server itself, not of a shell around it', async () => {
    const server = await launch(newPlatform(), 'gs-1');

    await healthWhenUp(server);
    const commandLine = (await readFile(`/proc/${pidOf(server)}/cmdline`, 'utf8')).split('\0');
    expect(commandLine).toEqual([process.execPath, expect.stringMatching(/sample-game-server\/server\.js$/), '']);
  });

  it('runs LOCAL_GAMESERVER_COMMAND with PORT and CAPACITY but without ADMIN_TOKEN', async () => {
    const script = await writeScript('env-server.js', ENV_REPORTING_SERVER);
    const previousToken = process.env.ADMIN_TOKEN;
    process.env.ADMIN_TOKEN = 'a-secret-admin-token-for-tests';
    try {
      const server = await launch(newPlatform({ LOCAL_GAMESERVER_COMMAND: nodeCommand(script) }), 'custom', 6);
      expect(await healthWhenUp(server)).toEqual({
        available_capacity: 6,
        ready_to_close: true,
        port: server.address.split(':')[1],
        capacity: '6',
        admin_token: null,
        greeting: null,
      });
    } finally {
      if (previousToken === undefined) delete process.env.ADMIN_TOKEN;
      else process.env.ADMIN_TOKEN = previousToken;
    }
  });

  it('gives the game server its id, and none of the manager’s secrets nor its bind address', async () => {
    // A game server that knew CLIENT_TICKET_SECRET could issue tickets to anyone.
    const withheld = { HOST: '0.0.0.0', ADMIN_TOKEN: 'a-secret-admin-token-for-tests', CLIENT_TICKET_SECRET: 'a-secret-ticket-key-for-tests-0123456789', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' };
    const previous = Object.fromEntries(Object.keys(withheld).map((name) => [name, process.env[name]]));
    Object.assign(process.env, withheld);
    try {
      const server = await launch(newPlatform(), 'gs-env');
      await healthWhenUp(server);
      const environment = (await readFile(`/proc/${pidOf(server)}/environ`, 'utf8')).split('\0');
      expect(environment).toContain('FLEET_MANAGER_SERVER_ID=gs-env');
      for (const name of Object.keys(withheld)) expect(environment.filter((entry) => entry.startsWith(`${name}=`))).toEqual([]);
    } finally {
      for (const [name, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('refuses to launch for a manager that does not hold the lease, and starts nothing', async () => {
    const standby = newPlatform({}, new ActingFence());
    await expect(standby.launch({ id: 'gs-standby', capacity: 2 })).rejects.toThrow(NotActingError);
    expect(await readdir(stateDir).catch(() => [])).toEqual([]);
  });

  it('runs a LOCAL_GAMESERVER_COMMAND that sets a variable of its own, as a shell would', async () => {
    const script = await writeScript('env-server.js', ENV_REPORTING_SERVER);
    const server = await launch(newPlatform({ LOCAL_GAMESERVER_COMMAND: `GREETING=hello ${nodeCommand(script)}` }), 'custom');

    expect(await healthWhenUp(server)).toMatchObject({ available_capacity: 2, greeting: 'hello' });
  });

  it('does not throw for a command that exits at once, but the server never answers', async () => {
    const platform = newPlatform({ LOCAL_GAMESERVER_COMMAND: `'${process.execPath}' -e 'process.exit(3)'` });
    const server = await launch(platform, 'doomed');

    await waitFor('the command to exit', () => !isAlive(pidOf(server)));
    await expect(health(server.probeAddress)).rejects.toThrow();
    expect(await platform.discover()).toEqual([]);
  });
});

describe('LocalPlatform.discover', () => {
  it('lets a new instance on the same directory find the same servers, draining and since when included', async () => {
    const first = newPlatform();
    const launched = [await launch(first, 'gs-a'), await launch(first, 'gs-b')];
    const since = Date.parse('2026-11-30T12:00:00.000Z');
    await first.setDraining(launched[1], since);

    const found = (await newPlatform().discover()).sort(byId);

    expect(found).toEqual([launched[0], { ...launched[1], drainingSince: since }]);
    expect(await storedRecord('gs-b')).toMatchObject({ draining: true, drainingSince: '2026-11-30T12:00:00.000Z' });
  });

  it("takes an earlier manager's draining record, which has no time, as draining from now", async () => {
    const platform = newPlatform();
    const launched = await launch(platform, 'gs-old');
    await writeFile(join(stateDir, 'gs-old.json'), JSON.stringify({ ...(await storedRecord('gs-old')), draining: true }));
    const before = Date.now();

    const [found] = await newPlatform().discover();

    expect(found.id).toBe(launched.id);
    expect(found.drainingSince).toBeGreaterThanOrEqual(before);
    expect(found.drainingSince).toBeLessThanOrEqual(Date.now());
  });

  it('forgets a server whose process is dead and removes its file', async () => {
    const platform = newPlatform();
    const survivor = await launch(platform, 'alive');
    const victim = await launch(platform, 'dead');
    killGroup(pidOf(victim));
    await waitFor('the killed server to be gone', () => !isAlive(pidOf(victim)));

    expect(await newPlatform().discover()).toEqual([survivor]);
    expect(await stateFiles()).toEqual(['alive.json']);
  });

  it('does not adopt a live process that is not the one it started', async () => {
    const stranger = await spawnStranger();
    const platform = newPlatform();
    const record: LocalServerRecord = {
      id: 'recycled',
      pid: stranger.pid as number,
      processStartTime: '1',
      port: 1,
      capacity: 2,
      command: 'sleep 30',
      startedAt: new Date().toISOString(),
      draining: false,
    };
    await mkdir(stateDir);
    await writeFile(join(stateDir, 'recycled.json'), JSON.stringify(record));

    expect(await platform.discover()).toEqual([]);
    expect(await stateFiles()).toEqual([]);
    await platform.stop({ id: 'recycled', platformIds: { pid: String(stranger.pid) } });
    expect(isAlive(stranger.pid as number)).toBe(true);
  });

  it('ends the process of a launch that a crash cut short before its pid was recorded, and forgets the launch', async () => {
    const record: LocalServerRecord = {
      id: 'cut-short',
      pid: 0,
      port: 1,
      capacity: 2,
      command: 'the sample game server',
      startedAt: new Date().toISOString(),
      draining: false,
    };
    await mkdir(stateDir);
    await writeFile(join(stateDir, 'cut-short.json'), JSON.stringify(record));
    const orphan = spawn(process.execPath, [join(__dirname, '..', '..', 'sample-game-server', 'server.js')], {
      env: { ...process.env, PORT: '0', FLEET_MANAGER_SERVER_ID: 'cut-short' },
      detached: true,
      stdio: 'ignore',
    });
    strangers.push(orphan);
    await once(orphan, 'spawn');
    const bystander = await spawnStranger();

    expect(await newPlatform().discover()).toEqual([]);
    await waitFor('the unrecorded server to end', () => orphan.exitCode !== null || orphan.signalCode !== null);
    expect(await stateFiles()).toEqual([]);
    expect(isAlive(bystander.pid as number)).toBe(true);
  });

  it('ignores unreadable files in the state directory', async () => {
    const platform = newPlatform();
    const server = await launch(platform, 'good');
    await writeFile(join(stateDir, 'garbage.json'), 'not json at all');
    await writeFile(join(stateDir, 'partial.json'), '{"id": "partial", "pid": ');
    await writeFile(join(stateDir, 'empty.json'), '');
    await writeFile(join(stateDir, 'list.json'), '[1, 2, 3]');
    await writeFile(join(stateDir, 'incomplete.json'), '{"id": "incomplete"}');
    await writeFile(join(stateDir, 'notes.txt'), 'not a record');
    await mkdir(join(stateDir, 'folder.json'));

    expect(await newPlatform().discover()).toEqual([server]);
  });

  it('refuses to rebuild the fleet while a record cannot be read (here ELOOP), naming the file', async () => {
    const platform = newPlatform();
    await launch(platform, 'good');
    await cannotBeRead('other');
    await expect(newPlatform().discover()).rejects.toThrow(/state file\(s\) other\.json in .* could not be read/);
  });

  it('creates a missing state directory and finds nothing', async () => {
    expect(await newPlatform().discover()).toEqual([]);
    expect(await stateFiles()).toEqual([]);
  });
});

describe('LocalPlatform.resync', () => {
  it('while a record cannot be read, lists the servers it can and says the listing is incomplete, so that none counts as gone', async () => {
    const platform = newPlatform();
    const server = await launch(platform, 'good');
    expect(await platform.resync()).toEqual({ servers: [server], running: new Set(['good']) });
    const restore = await cannotBeRead('other');
    expect(await platform.resync()).toEqual({ servers: [server] });
    await restore();
    expect(await platform.resync()).toEqual({ servers: [server], running: new Set(['good']) });
  });
});

describe('LocalPlatform.stop', () => {
  it('refuses to stop a server whose record cannot be read just now, and keeps the record: the process is not left running unknown', async () => {
    const platform = newPlatform();
    const server = await launch(platform, 'gs-1');
    await healthWhenUp(server);
    const restore = await cannotBeRead('gs-1');

    await expect(platform.stop(server)).rejects.toThrow(/ELOOP/);
    expect(isAlive(pidOf(server))).toBe(true);
    await restore();
    expect(await stateFiles()).toEqual(['gs-1.json']);

    await platform.stop(server);
    expect(isAlive(pidOf(server))).toBe(false);
    expect(await stateFiles()).toEqual([]);
  });

  it('ends the process and removes its record', async () => {
    const platform = newPlatform();
    const server = await launch(platform, 'gs-1');
    await healthWhenUp(server);

    await platform.stop(server);

    expect(isAlive(pidOf(server))).toBe(false);
    expect(await stateFiles()).toEqual([]);
    await expect(health(server.probeAddress)).rejects.toThrow();
  });

  it('is fine when the process is already gone, when called twice, and for an unknown server', async () => {
    const platform = newPlatform();
    const server = await launch(platform, 'gs-1');
    killGroup(pidOf(server));
    await waitFor('the killed server to be gone', () => !isAlive(pidOf(server)));

    await platform.stop(server);
    await platform.stop(server);
    await platform.stop({ id: 'never-launched', platformIds: {} });

    expect(await stateFiles()).toEqual([]);
  });

  it('kills a server that ignores SIGTERM', async () => {
    const script = await writeScript('stubborn.js', STUBBORN_SERVER);
    const platform = newPlatform({ LOCAL_GAMESERVER_COMMAND: nodeCommand(script) });
    const server = await launch(platform, 'stubborn');
    await healthWhenUp(server);

    await platform.stop(server);

    await waitFor('the stubborn server to be gone', () => !isAlive(pidOf(server)));
    expect(await stateFiles()).toEqual([]);
    await expect(health(server.probeAddress)).rejects.toThrow();
  });
});

describe('LocalPlatform: the version a server runs, for rollouts', () => {
  const SAMPLE = join(__dirname, '..', '..', 'sample-game-server', 'server.js');

  it.each<{ seenWith: string; command?: string; outdated: boolean }>([
    { seenWith: 'the same command', outdated: false },
    { seenWith: 'the bundled sample run by another Node binary (an upgrade, a move)', command: `'/opt/other/node' '${SAMPLE}'`, outdated: false },
    { seenWith: 'another command', command: `GAME_VERSION=2 '${process.execPath}' '${SAMPLE}'`, outdated: true },
  ])('a server started with the default command, seen by a manager with $seenWith: outdated $outdated', async ({ command, outdated }) => {
    const launched = await launch(newPlatform(), 'gs-version');
    const [found] = await newPlatform(command === undefined ? {} : { LOCAL_GAMESERVER_COMMAND: command }).discover();
    expect(found).toMatchObject({ id: launched.id, outdated });
  });
});
