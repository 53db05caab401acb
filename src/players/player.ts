import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

/** How long a player waits for the manager, and then for the game server, before giving up. */
export const ALLOCATION_TIMEOUT_MS = 10_000;
export const CONNECT_TIMEOUT_MS = 10_000;
/** A close handshake the server never completes is cut after this. */
const CLOSE_TIMEOUT_MS = 5_000;

/** A game server address as the manager hands it out: host:port. */
const ADDRESS = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

export type PlayerOutcome =
  /** Told to stop while still asking the manager or connecting: abandoned by the tool, not failed by the fleet. */
  | { readonly kind: 'stopped' }
  | { readonly kind: 'allocation-failed'; readonly reason: string }
  | { readonly kind: 'connection-failed'; readonly address: string; readonly allocationMs: number; readonly reason: string }
  /** Connected and played; `dropped` when the server closed the connection before the session ended. */
  | { readonly kind: 'played'; readonly address: string; readonly allocationMs: number; readonly connectMs: number; readonly dropped: boolean };

export interface PlayerEvents {
  connected?(): void;
}

/**
 * One game client, as the deployed ones behave: ask the manager for a server, open a WebSocket to
 * its /ws/connect/, keep it open for the session, close it. Times are measured from the moment the
 * player asks the manager: that is how long a real player waits.
 */
export async function play(managerUrl: string, sessionMs: number, signal: AbortSignal, events: PlayerEvents = {}): Promise<PlayerOutcome> {
  const started = performance.now();
  let address: string;
  try {
    const response = await fetch(`${managerUrl}/available-gameserver/`, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(ALLOCATION_TIMEOUT_MS)]),
    });
    const text = await response.text();
    const available = response.ok ? availableOf(text) : undefined;
    if (!available) return { kind: 'allocation-failed', reason: response.ok ? 'no "available" address in the answer' : `HTTP ${response.status}` };
    address = available;
  } catch (error) {
    return signal.aborted ? { kind: 'stopped' } : { kind: 'allocation-failed', reason: reasonOf(error) };
  }
  const allocationMs = performance.now() - started;

  let socket: WebSocket;
  try {
    socket = await connect(address, signal);
  } catch (error) {
    return signal.aborted ? { kind: 'stopped' } : { kind: 'connection-failed', address, allocationMs, reason: reasonOf(error) };
  }
  const connectMs = performance.now() - started;
  events.connected?.();

  const closedByServer = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const session = sleep(sessionMs, undefined, { signal }).catch(() => undefined);
  const dropped = await Promise.race([session.then(() => false), closedByServer.then(() => true)]);
  if (!dropped) await close(socket, closedByServer);
  return { kind: 'played', address, allocationMs, connectMs, dropped: dropped && !signal.aborted };
}

function availableOf(text: string): string | undefined {
  try {
    const available = (JSON.parse(text) as { available?: unknown }).available;
    return typeof available === 'string' && ADDRESS.test(available) ? available : undefined;
  } catch {
    return undefined;
  }
}

function connect(address: string, signal: AbortSignal): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${address}/ws/connect/`, { handshakeTimeout: CONNECT_TIMEOUT_MS });
    const abort = () => {
      socket.terminate();
      reject(new Error('stopped'));
    };
    signal.addEventListener('abort', abort, { once: true });
    socket.once('open', () => {
      signal.removeEventListener('abort', abort);
      // Errors after this end in 'close', which the session watches; unhandled they would crash the tool.
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', abort);
      reject(error);
    });
    socket.once('unexpected-response', (_request, response) => {
      signal.removeEventListener('abort', abort);
      socket.terminate();
      reject(new Error(`HTTP ${response.statusCode}`));
    });
  });
}

async function close(socket: WebSocket, closed: Promise<void>): Promise<void> {
  socket.close(1000, 'session over');
  const timer = setTimeout(() => socket.terminate(), CLOSE_TIMEOUT_MS);
  await closed;
  clearTimeout(timer);
}

function reasonOf(error: unknown): string {
  const e = error as { name?: string; code?: string; cause?: { code?: string }; message?: string };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.code ?? e.message ?? String(error);
}
