import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Settings } from '../../src/config/settings';
import { FleetRegistry } from '../../src/fleet/fleet.registry';
import { HealthProber } from '../../src/fleet/health-prober';
import { ProbeResult } from '../../src/fleet/health-report';
import { LaunchWatch, nextLookMs } from '../../src/scaling/launch-watch';
import { waitFor } from '../support/wait';

describe('nextLookMs: the looks at a launch grow further apart, up to the gap between passes', () => {
  it.each([
    { looks: 0, gapMs: 1000, ms: 100 },
    { looks: 1, gapMs: 1000, ms: 150 },
    { looks: 2, gapMs: 1000, ms: 225 },
    { looks: 5, gapMs: 1000, ms: 759.375 },
    { looks: 6, gapMs: 1000, ms: 1000 },
    { looks: 50, gapMs: 1000, ms: 1000 },
    { looks: 7, gapMs: 30_000, ms: 1708.59375 },
    { looks: 0, gapMs: 100, ms: 100 },
    { looks: 3, gapMs: 100, ms: 100 },
  ])('after $looks looks with passes $gapMs ms apart: $ms ms', ({ looks, gapMs, ms }) => {
    expect(nextLookMs(looks, gapMs)).toBeCloseTo(ms, 6);
  });
});

/**
 * The watch against real sockets: a real prober, a real registry, and a game server's health
 * endpoint that the test opens late, answers badly or closes.
 */
describe('LaunchWatch', () => {
  const settings = Object.assign(new Settings(), { SLEEP_TIME: 1, PROBE_TIMEOUT: 1 });
  let prober: HealthProber;
  let registry: FleetRegistry;
  let watch: LaunchWatch;
  let server: Server | undefined;
  let probes = 0;

  /** A health endpoint that counts the probes it gets; `healthy` says how it answers. */
  async function healthEndpoint(healthy: () => boolean, port = 0): Promise<number> {
    server = createServer((_request, response) => {
      probes += 1;
      if (healthy()) response.writeHead(200, { 'content-type': 'application/json' }).end('{"available_capacity": 10, "ready_to_close": true}');
      else response.writeHead(503).end();
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  /** A free port: one the system hands out and that the test then closes. */
  async function freePort(): Promise<number> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return port;
  }

  function placeLaunch(id: string, port: number): void {
    registry.addLaunching(id, Date.now());
    registry.placed({ id, address: `127.0.0.1:${port}`, probeAddress: `127.0.0.1:${port}`, version: 'v1', outdated: false, platformIds: {} });
  }

  beforeEach(() => {
    probes = 0;
    prober = new HealthProber(settings);
    registry = new FleetRegistry(settings);
    watch = new LaunchWatch(registry, prober, settings);
  });

  afterEach(async () => {
    watch.onModuleDestroy();
    await prober.onApplicationShutdown();
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
  });

  it('passes on the first answer of a server that begins to listen after its launch, and looks no more', async () => {
    const port = await freePort();
    placeLaunch('gs-late', port);
    const answers: { id: string; result: ProbeResult; afterMs: number }[] = [];
    const start = Date.now();
    watch.watch('gs-late', (watched, result, probedAt) => answers.push({ id: watched.id, result, afterMs: probedAt - start }));

    await sleep(300);
    expect(answers).toEqual([]);
    await healthEndpoint(() => true, port);
    // Looks at 100, 250, 475, 812 ms...: the first after the endpoint opened answers.
    await waitFor('an answer', () => answers.length > 0, 5000);
    expect(answers).toEqual([{ id: 'gs-late', result: { ok: true, report: { availableCapacity: 10, readyToClose: true } }, afterMs: expect.any(Number) }]);
    expect(answers[0].afterMs).toBeGreaterThanOrEqual(300);
    await sleep(1200);
    expect(probes).toBe(1);
    expect(answers).toHaveLength(1);
  });

  it('keeps looking past answers that are not healthy, without passing them on', async () => {
    let healthy = false;
    const port = await healthEndpoint(() => healthy);
    placeLaunch('gs-slow', port);
    const answers: ProbeResult[] = [];
    watch.watch('gs-slow', (_server, result) => answers.push(result));

    await waitFor('two looks', () => probes >= 2, 5000);
    expect(answers).toEqual([]);
    healthy = true;
    await waitFor('an answer', () => answers.length > 0, 5000);
    expect(answers).toEqual([{ ok: true, report: { availableCapacity: 10, readyToClose: true } }]);
  });

  it.each([
    { end: 'it is being stopped', endIt: (r: FleetRegistry) => r.setStopping('gs-ended', true) },
    { end: 'it left the fleet', endIt: (r: FleetRegistry) => r.remove('gs-ended') },
    { end: 'a pass saw it answer', endIt: (r: FleetRegistry) => r.recordProbe('gs-ended', { ok: true, report: { availableCapacity: 10, readyToClose: true } }, Date.now()) },
    { end: 'the manager shuts down', endIt: () => watch.onModuleDestroy() },
  ])('looks no more once $end', async ({ endIt }) => {
    const port = await healthEndpoint(() => false);
    placeLaunch('gs-ended', port);
    const answers: ProbeResult[] = [];
    watch.watch('gs-ended', (_server, result) => answers.push(result));
    // Ended between two looks: the next one is at least 150 ms after the first.
    await waitFor('the first look', () => probes === 1, 5000);
    endIt(registry);
    await sleep(800);
    expect(probes).toBe(1);
    expect(answers).toEqual([]);
  });

  it('ends quietly when the manager shuts down during a look', async () => {
    // A health endpoint that takes the probe and never answers: the look is in flight.
    server = createServer(() => (probes += 1));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    placeLaunch('gs-in-flight', (server.address() as AddressInfo).port);
    const errors = jest.spyOn(Logger.prototype, 'error');
    try {
      watch.watch('gs-in-flight', () => undefined);
      await waitFor('a look in flight', () => probes === 1, 5000);

      watch.onModuleDestroy();
      await prober.onApplicationShutdown();
      await sleep(50);

      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
  });
});
