// @ts-check
'use strict';
/**
 * The sample game server: the reference for game developers and what the local platform runs.
 *
 * A player is a WebSocket connection on any path (deployed clients use /ws/connect/); it holds
 * a place until it closes. GET /health/ tells the manager how many more players fit now and
 * whether the server may be stopped. Port from PORT, capacity from CAPACITY (default
 * SERVER_CAPACITY, else 10). SIGTERM closes the listener and every player, then exits.
 */
const http = require('node:http');
const { WebSocketServer } = require('ws');

function readPositiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`sample-game-server: ${name}=${JSON.stringify(raw)} must be a whole number >= 0`);
    process.exit(2);
  }
  return value;
}

const port = readPositiveInt('PORT', 8000);
const capacity = readPositiveInt('CAPACITY', readPositiveInt('SERVER_CAPACITY', 10));
const host = process.env.HOST || '127.0.0.1';

/** @type {Set<import('ws').WebSocket>} */
const players = new Set();

const server = http.createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && (path === '/health/' || path === '/health')) {
    const body = JSON.stringify({
      available_capacity: Math.max(0, capacity - players.size),
      ready_to_close: players.size === 0,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end('{"error":"not found"}');
});

const wss = new WebSocketServer({ noServer: true });

server.on('upgrade', (req, socket, head) => {
  // A full server turns the player away before the handshake, so the client sees a clear failure.
  if (players.size >= capacity) {
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    players.add(ws);
    ws.on('close', () => players.delete(ws));
    ws.on('error', () => players.delete(ws));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.send(JSON.stringify({ welcome: true, players: players.size, capacity }));
  });
});

function shutdown() {
  server.close();
  for (const ws of players) ws.close(1001, 'server shutting down');
  // Players that do not answer the close handshake must not keep the process alive.
  setTimeout(() => process.exit(0), 2000).unref();
  wss.close(() => process.exit(0));
  if (players.size === 0) process.exit(0);
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(port, host, () => {
  console.log(`sample-game-server listening on ${host}:${port} with capacity ${capacity}`);
});
