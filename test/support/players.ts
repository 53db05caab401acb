import WebSocket from 'ws';
import { getJson, RunningManager, waitFor } from './manager';

/** Connects like a deployed game client: a WebSocket on /ws/connect/ of the address it was given. */
export function connectPlayer(address: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${address}/ws/connect/`);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`${address} refused the player: HTTP ${res.statusCode}`)));
  });
}

export interface ArrivedPlayer {
  address: string;
  socket: WebSocket;
}

/** Asks the manager for a server and joins it; throws if the manager had no room. */
export async function arrive(manager: RunningManager): Promise<ArrivedPlayer> {
  const answer = await getJson<{ available?: string }>(`${manager.url}/available-gameserver/`);
  if (answer.status !== 200 || !answer.body.available) throw new Error(`allocation failed: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  return { address: answer.body.available, socket: await connectPlayer(answer.body.available) };
}

/**
 * As a game client does: asks again on a 503 until it has a place. A fleet still growing answers
 * 503 for a moment, and how long depends on how fast the machine starts a server; how often that
 * happens is the simulator's and the benchmark's figure, not a test's.
 */
export function arriveAskingAgain(manager: RunningManager, what = 'a place'): Promise<ArrivedPlayer> {
  return waitFor(what, () => arrive(manager).catch(() => undefined));
}

export async function leave(players: ArrivedPlayer[]): Promise<void> {
  await Promise.all(
    players.map(
      ({ socket }) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve();
          socket.once('close', () => resolve());
          socket.close();
        }),
    ),
  );
}
