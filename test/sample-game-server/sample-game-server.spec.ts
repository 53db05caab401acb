import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import WebSocket from 'ws';
import { waitFor } from '../support/wait';
import { freeLoopbackPort } from '../../src/platform/local/local-process';

const SERVER_SCRIPT = join(__dirname, '..', '..', 'sample-game-server', 'server.js');

interface Health {
  available_capacity: number;
  ready_to_close: boolean;
}

interface GameServer {
  readonly address: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await Promise.all(children.splice(0).map(killAndWait));
});

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}


/** The environment of the test runner, without the variables the sample server reads. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1' };
  for (const name of ['PORT', 'CAPACITY', 'SERVER_CAPACITY']) delete env[name];
  return env;
}

/** Starts the sample server as its own process and waits until it answers its health endpoint. */
async function startGameServer(env: Record<string, string> = {}): Promise<GameServer> {
  const port = await freeLoopbackPort();
  const child = spawn(process.execPath, [SERVER_SCRIPT], { env: { ...baseEnv(), PORT: String(port), ...env }, stdio: 'ignore' });
  children.push(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const server = { address: `127.0.0.1:${port}`, child, exited };
  await waitFor('the sample server to answer', () => health(server.address).then(() => true));
  return server;
}

async function health(address: string, path = '/health/'): Promise<Health> {
  const response = await fetch(`http://${address}${path}`);
  if (response.status !== 200) throw new Error(`health answered HTTP ${response.status}`);
  return (await response.json()) as Health;
}

async function waitForHealth(address: string, expected: Health): Promise<void> {
  await waitFor(`health ${JSON.stringify(expected)}`, async () => JSON.stringify(await health(address)) === JSON.stringify(expected));
}

/** Joins like a deployed game client; rejects with the HTTP status when the server turns the player away. */
function connectPlayer(address: string, path = '/ws/connect/'): Promise<WebSocket> {
  const socket = new WebSocket(`ws://${address}${path}`);
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused with HTTP ${res.statusCode}`)));
  });
}

async function leave(socket: WebSocket): Promise<void> {
  const closed = once(socket, 'close');
  socket.close();
  await closed;
}

describe('sample game server: health', () => {
  it('answers /health/ and /health with the full capacity and ready_to_close while empty', async () => {
    const server = await startGameServer({ CAPACITY: '4' });
    for (const path of ['/health/', '/health']) {
      const response = await fetch(`http://${server.address}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(await response.json()).toEqual({ available_capacity: 4, ready_to_close: true });
    }
  });

  it('answers 404 elsewhere', async () => {
    const server = await startGameServer();
    expect((await fetch(`http://${server.address}/status`)).status).toBe(404);
  });

  it.each<[string, Record<string, string>, number]>([
    ['CAPACITY', { CAPACITY: '3', SERVER_CAPACITY: '7' }, 3],
    ['SERVER_CAPACITY without CAPACITY', { SERVER_CAPACITY: '7' }, 7],
    ['10 without either', {}, 10],
  ])('takes its capacity from %s', async (_case, env, capacity) => {
    const server = await startGameServer(env);
    expect(await health(server.address)).toEqual({ available_capacity: capacity, ready_to_close: true });
  });
});

describe('sample game server: players', () => {
  it('gives each WebSocket connection a place until it closes', async () => {
    const server = await startGameServer({ CAPACITY: '3' });
    const first = await connectPlayer(server.address);
    const second = await connectPlayer(server.address);
    await waitForHealth(server.address, { available_capacity: 1, ready_to_close: false });

    await leave(first);
    await waitForHealth(server.address, { available_capacity: 2, ready_to_close: false });
    await leave(second);
    await waitForHealth(server.address, { available_capacity: 3, ready_to_close: true });
  });

  it('counts a connection on any path as a player', async () => {
    const server = await startGameServer({ CAPACITY: '2' });
    await connectPlayer(server.address, '/');
    await waitForHealth(server.address, { available_capacity: 1, ready_to_close: false });
  });

  it('refuses a player beyond its capacity, and takes one again once a place is free', async () => {
    const server = await startGameServer({ CAPACITY: '2' });
    const first = await connectPlayer(server.address);
    await connectPlayer(server.address);

    await expect(connectPlayer(server.address)).rejects.toThrow('refused with HTTP 503');
    expect(await health(server.address)).toEqual({ available_capacity: 0, ready_to_close: false });

    await leave(first);
    await waitForHealth(server.address, { available_capacity: 1, ready_to_close: false });
    await connectPlayer(server.address);
    await waitForHealth(server.address, { available_capacity: 0, ready_to_close: false });
  });
});

describe('sample game server: SIGTERM', () => {
  it('exits with code 0 at once when empty', async () => {
    const server = await startGameServer();
    const started = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('closes the players it has and exits with code 0 promptly', async () => {
    const server = await startGameServer({ CAPACITY: '3' });
    const players = [await connectPlayer(server.address), await connectPlayer(server.address)];
    const closes = players.map((player) => once(player, 'close'));
    const started = Date.now();

    server.child.kill('SIGTERM');

    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(1000);
    for (const [code] of await Promise.all(closes)) expect(code).toBe(1001);
  });

  it('exits with code 0 within a few seconds even when a player ignores the close handshake', async () => {
    const server = await startGameServer({ CAPACITY: '3' });
    const player = await connectPlayer(server.address);
    // A paused client never reads the server's close frame, so it never answers it.
    player.pause();
    const started = Date.now();

    server.child.kill('SIGTERM');

    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(3500);
  });
});
