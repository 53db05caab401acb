import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import { AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { Settings } from '../../src/config/settings';
import { HealthProber } from '../../src/fleet/health-prober';

// HealthProber runs HealthProbeClient (test/fleet/health-probe-client.spec.ts) on a thread of its
// own, built into dist/ (npm test builds first).
const STOPPING_PROBE_THREAD = resolve(__dirname, '..', 'support', 'stopping-probe-thread.js');
const ONCE_STOPPING_PROBE_THREAD = resolve(__dirname, '..', 'support', 'once-stopping-probe-thread.js');
const NAMING_PROBE_THREAD = resolve(__dirname, '..', 'support', 'naming-probe-thread.js');
const { onceStoppedMarker } = require('../support/once-stopped-marker') as { onceStoppedMarker: string };

const settings = (timeoutS = 5) => Object.assign(new Settings(), { PROBE_TIMEOUT: timeoutS, PROBE_CONCURRENCY: 4 });

const probers: HealthProber[] = [];
const servers: Server[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(probers.splice(0).map((prober) => prober.onApplicationShutdown()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(onceStoppedMarker, { force: true });
});

function started<T extends HealthProber>(prober: T): T {
  probers.push(prober);
  prober.onModuleInit();
  return prober;
}

/** A prober whose thread runs `script` instead of the manager's. */
function proberRunning(script: string): HealthProber {
  return started(
    new (class extends HealthProber {
      protected override readonly workerScript = script;
    })(settings()),
  );
}

/** A game server that answers its health with `capacity` free places; resolves to its host:port. */
async function gameServer(capacity: number, answers = true): Promise<string> {
  const server = createServer((_req, res) => {
    if (answers) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ available_capacity: capacity, ready_to_close: false }));
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const ready = (capacity: number) => ({ ok: true, report: { availableCapacity: capacity, readyToClose: false } });

describe('HealthProber: the probes run on a thread of their own', () => {
  it('answers what each game server answers, in the order of the targets', async () => {
    const prober = started(new HealthProber(settings()));
    const addresses = [await gameServer(3), await gameServer(0), await gameServer(7)];
    const closed = createTcpServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const refused = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((done) => closed.close(done));

    const results = await prober.probeAll([...addresses, refused].map((probeAddress) => ({ probeAddress })));

    expect(results.slice(0, 3)).toEqual([ready(3), ready(0), ready(7)]);
    expect(results[3]).toEqual({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(await prober.probe(addresses[2])).toEqual(ready(7));
    expect(await prober.probeAll([])).toEqual([]);
  });

  it('asks the game servers while the thread that answers players is busy', async () => {
    // The game server is a process of its own, so that it answers while this thread is busy; it
    // prints when each request arrives.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `require('node:http').createServer((req, res) => { console.log('asked ' + Date.now()); res.end('{"available_capacity":2,"ready_to_close":false}'); })
          .listen(0, '127.0.0.1', function () { console.log('port ' + this.address().port); });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    while (!/port (\d+)/.test(output)) await new Promise((done) => setTimeout(done, 10));
    const prober = started(new HealthProber(settings()));
    await prober.probe(`127.0.0.1:${/port (\d+)/.exec(output)![1]}`);

    const probing = prober.probe(`127.0.0.1:${/port (\d+)/.exec(output)![1]}`);
    const busyUntil = Date.now() + 1000;
    while (Date.now() < busyUntil);

    expect(await probing).toEqual(ready(2));
    while ([...output.matchAll(/asked/g)].length < 2) await new Promise((done) => setTimeout(done, 10));
    const asked = [...output.matchAll(/asked (\d+)/g)].map((match) => Number(match[1]));
    expect(asked[1]).toBeLessThan(busyUntil);
  });

  it('sends the requests of a thread that stopped to a new one', async () => {
    await rm(onceStoppedMarker, { force: true });
    const prober = proberRunning(ONCE_STOPPING_PROBE_THREAD);
    const address = await gameServer(5);

    expect(await prober.probeAll([{ probeAddress: address }, { probeAddress: address }])).toEqual([ready(5), ready(5)]);
  });

  it('forgets each request once it is answered, a resent one too: a pass leaves nothing behind', async () => {
    await rm(onceStoppedMarker, { force: true });
    const prober = proberRunning(ONCE_STOPPING_PROBE_THREAD);
    const address = await gameServer(5);

    for (let pass = 0; pass < 3; pass++) expect(await prober.probeAll([{ probeAddress: address }])).toEqual([ready(5)]);
    // Each request holds the addresses of a whole pass: kept, thousands of servers' worth a second would pile up.
    expect((prober as unknown as { pending: Map<number, unknown> }).pending.size).toBe(0);
  });

  it('keeps one thread for every request while it runs', async () => {
    const prober = proberRunning(NAMING_PROBE_THREAD);

    const first = await prober.probe('127.0.0.1:7777');
    const second = await prober.probeAll([{ probeAddress: '127.0.0.1:7777' }, { probeAddress: '127.0.0.1:7778' }]);

    expect(first).toEqual({ ok: false, error: expect.stringMatching(/^answered by thread \d+$/) });
    expect(second).toEqual([first, first]);
  });

  it('fails a request that three threads stopped on, saying so, rather than failing its probes', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const prober = proberRunning(STOPPING_PROBE_THREAD);

    await expect(prober.probeAll([{ probeAddress: await gameServer(5) }])).rejects.toThrow('probing failed: 3 probe threads stopped while asking');
    const stops = logged.mock.calls.filter(([message]) => /^the probe thread stopped \(exit code 3\); its 1 request\(s\) go to a new one$/.test(String(message)));
    expect(stops).toHaveLength(3);
  });

  it('fails a request, not the manager, when no new thread can be started', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'probe-thread-'));
    try {
      const script = join(dir, 'stopping-probe-thread.js');
      await copyFile(STOPPING_PROBE_THREAD, script);
      const prober = proberRunning(script);
      await rm(script);

      await expect(prober.probe(await gameServer(5))).rejects.toThrow(`the probe thread's script ${script} is missing`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops start-up when the thread has no script, naming it', () => {
    const prober = new (class extends HealthProber {
      protected override readonly workerScript = '/nowhere/health-probe-worker.js';
    })(settings());

    expect(() => prober.onModuleInit()).toThrow("the probe thread's script /nowhere/health-probe-worker.js is missing: build the manager first (npm run build)");
  });

  it('at shutdown fails the probes in flight and refuses new ones', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error');
    const prober = started(new HealthProber(settings()));
    const failed = expect(prober.probe(await gameServer(1, false))).rejects.toThrow('the health prober has shut down');
    await new Promise((done) => setTimeout(done, 100));

    await prober.onApplicationShutdown();

    await failed;
    await expect(prober.probe(await gameServer(1))).rejects.toThrow('the health prober has shut down');
    // The thread it ended is no thread that stopped: nothing to log, nothing to send again.
    await new Promise((done) => setTimeout(done, 100));
    expect(logged).not.toHaveBeenCalled();
  });
});
