import { createServer as createHttpServer } from 'node:http';
import { createServer, Socket } from 'node:net';
import { runPlayers, LoadProgress } from '../../src/players/player-load';
import { parsePlayersArgs } from '../../src/players/player-options';
import { acceptingServers, destroyFleet, RunningManager, startManager, waitFor } from '../support/manager';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the player load tool against the real manager', () => {
  let manager: RunningManager;

  beforeAll(async () => {
    manager = await startManager({ SLEEP_TIME: '0.2' });
    await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
  });

  afterAll(async () => {
    await manager?.close();
    await destroyFleet(manager.stateDir);
  });

  it('plays a few short sessions with no failure and reports connection times', async () => {
    const seen: LoadProgress[] = [];
    const report = await runPlayers(
      { manager: manager.url, count: 6, rate: 20, sessionSeconds: 0.5, jitter: 0.2 },
      { onProgress: (p) => seen.push(p) },
    );

    expect(report).toMatchObject({ players: 6, connected: 6, failedAllocations: 0, failedConnections: 0, dropped: 0, failures: {} });
    expect(report.servers).toBeGreaterThanOrEqual(1);
    expect(report.connectMs!.p50).toBeGreaterThan(0);
    expect(report.connectMs!.p99).toBeGreaterThanOrEqual(report.connectMs!.p50);
    expect(report.allocationMs!.p50).toBeLessThanOrEqual(report.connectMs!.p50);
    // Sessions of 0.4 to 0.6 s, the last arriving after 0.25 s.
    expect(report.seconds).toBeGreaterThanOrEqual(0.6);
    expect(report.seconds).toBeLessThan(10);
    expect(Math.max(...seen.map((p) => p.playing))).toBeGreaterThan(1);
    expect(seen.at(-1)).toEqual({ count: 6, arrived: 6, playing: 0, finished: 6, failedAllocations: 0, failedConnections: 0 });
    await waitFor('every player to have left their game server', allPlacesFree);
  });

  it('stops early when told to, closing the connections it holds', async () => {
    const stop = new AbortController();
    const running = runPlayers(
      { manager: manager.url, count: 50, rate: 10, sessionSeconds: 60, jitter: 0 },
      { signal: stop.signal, onProgress: (p) => p.playing >= 3 && stop.abort() },
    );
    const report = await running;
    expect(report.players).toBeLessThan(50);
    // A player still asking or connecting at the stop is "stopped", not a failure of the fleet.
    expect(report).toMatchObject({ failedAllocations: 0, failedConnections: 0, dropped: 0, failures: {} });
    expect(report.connected + report.stopped).toBe(report.players);
    expect(report.seconds).toBeLessThan(10);
    await waitFor('every player to have left their game server', allPlacesFree);
  });

  /** The game servers themselves, not the manager, report every place free again. */
  async function allPlacesFree(): Promise<boolean> {
    const servers = await acceptingServers(manager);
    const reports = await Promise.all(servers.map((a) => fetch(`http://${a}/health/`).then((r) => r.json() as Promise<{ available_capacity: number }>)));
    return reports.every((r) => r.available_capacity === 10);
  }
});

describe('the player load tool without a manager', () => {
  it('counts every allocation as failed and ends by itself', async () => {
    const report = await runPlayers({ manager: `http://127.0.0.1:${await closedPort()}`, count: 3, rate: 50, sessionSeconds: 1, jitter: 0 });
    expect(report).toMatchObject({ players: 3, connected: 0, failedAllocations: 3, failedConnections: 0 });
    expect(report.failures).toEqual({ 'allocation: ECONNREFUSED': 3 });
    expect(report.connectMs).toBeUndefined();
  });
});

describe('the player load tool told to stop while its players wait', () => {
  /** A loopback server that accepts connections and never answers, as a stalled manager or game server does. */
  async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
    const held: Socket[] = [];
    const server = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return {
      port,
      close: () => {
        held.forEach((socket) => socket.destroy());
        return new Promise((resolve) => server.close(() => resolve()));
      },
    };
  }

  it('counts a player still waiting for the manager as stopped, not as a failed allocation', async () => {
    const manager = await silentServer();
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const report = await runPlayers({ manager: `http://127.0.0.1:${manager.port}`, count: 2, rate: 20, sessionSeconds: 1, jitter: 0 }, { signal: stop.signal });
    await manager.close();
    expect(report).toMatchObject({ players: 2, stopped: 2, failedAllocations: 0, failedConnections: 0, failures: {} });
  });

  it('counts a player still opening its WebSocket as stopped, not as a failed connection', async () => {
    const gameServer = await silentServer();
    const manager = createHttpServer((_request, response) => response.end(JSON.stringify({ available: `127.0.0.1:${gameServer.port}` })));
    await new Promise<void>((resolve) => manager.listen(0, '127.0.0.1', resolve));
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const report = await runPlayers(
      { manager: `http://127.0.0.1:${(manager.address() as { port: number }).port}`, count: 1, rate: 20, sessionSeconds: 1, jitter: 0 },
      { signal: stop.signal },
    );
    manager.closeAllConnections();
    await new Promise((resolve) => manager.close(resolve));
    await gameServer.close();
    expect(report).toMatchObject({ players: 1, stopped: 1, failedAllocations: 0, failedConnections: 0, failures: {} });
  });
});

describe('the player load tool’s options', () => {
  it('defaults to the local manager', () => {
    expect(parsePlayersArgs([]).options).toEqual({ manager: 'http://127.0.0.1:3000', count: 20, rate: 2, sessionSeconds: 30, jitter: 0 });
    expect(parsePlayersArgs(['--manager', 'http://10.0.0.5:8080/', '--count', '5', '--rate', '0.5', '--session', '2', '--jitter', '0.1']).options).toEqual({
      manager: 'http://10.0.0.5:8080',
      count: 5,
      rate: 0.5,
      sessionSeconds: 2,
      jitter: 0.1,
    });
  });

  it.each([
    [['--manager', 'ftp://127.0.0.1'], /http or https URL/],
    [['--manager', 'localhost:3000'], /http or https URL|must be a URL/],
    [['--count', '0'], /--count must be a whole number from 1 to 10000/],
    [['--count', '2.5'], /--count must be a whole number/],
    [['--rate', '0'], /--rate must be a number from 0.001 to 1000/],
    [['--session=-1'], /--session must be a number from 0/],
    [['--jitter', '2'], /--jitter must be a number from 0 to 1/],
    [['--players', '3'], /Unknown option '--players'/],
  ])('refuses %j', (args, message) => {
    expect(() => parsePlayersArgs(args)).toThrow(message);
  });
});
