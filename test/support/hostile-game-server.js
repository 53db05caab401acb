// @ts-check
'use strict';
/**
 * A game server that misbehaves on purpose, for the abuse tests. It serves players like the
 * sample server (WebSocket on any path), but its health endpoint answers according to MODE:
 * garbage, partial, negative, absurd, huge (10 MB), hang, slow (SLOW_MS), crash (exits
 * CRASH_AFTER_MS after its first player joined) or bad-redirect (302 to `http://[::1`, a
 * Location no URL parser takes). With GOOD_FOR_MS it answers well first. With ONLY_ONE_FILE only
 * the first server to create that file misbehaves; the others answer well. With SILENT_DIR its
 * health endpoint answers nothing while `SILENT_DIR/all` or `SILENT_DIR/<PORT>` exists, and its
 * players stay connected: a network fault between the manager and the fleet, seen from the manager.
 */
const { existsSync, openSync } = require('node:fs');
const { join } = require('node:path');
const http = require('node:http');
const { WebSocketServer } = require('ws');

const port = Number(process.env.PORT);
const capacity = Number(process.env.CAPACITY ?? 10);
/** Whether this process is the one of the fleet that misbehaves (ONLY_ONE_FILE), or every one is. */
function misbehaves() {
  if (!process.env.ONLY_ONE_FILE) return true;
  try {
    openSync(process.env.ONLY_ONE_FILE, 'wx');
    return true;
  } catch {
    return false;
  }
}
const mode = misbehaves() ? (process.env.MODE ?? 'garbage') : 'good';
const silentDir = process.env.SILENT_DIR;
const silent = () => silentDir !== undefined && (existsSync(join(silentDir, 'all')) || existsSync(join(silentDir, String(port))));
const goodUntil = Date.now() + Number(process.env.GOOD_FOR_MS ?? 0);
const players = new Set();

const good = () => JSON.stringify({ available_capacity: Math.max(0, capacity - players.size), ready_to_close: players.size === 0 });

const server = http.createServer((req, res) => {
  if (silent()) return;
  if (Date.now() < goodUntil) return void res.end(good());
  switch (mode) {
    case 'garbage':
      return void res.end('<html>definitely not json</html>');
    case 'partial':
      return void res.end('{"available_capacity": 3');
    case 'negative':
      return void res.end('{"available_capacity": -5, "ready_to_close": false}');
    case 'absurd':
      return void res.end('{"available_capacity": 1e12, "ready_to_close": false}');
    case 'huge':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(Buffer.alloc(10 * 1024 * 1024, 0x20));
    case 'hang':
      return;
    case 'bad-redirect':
      res.writeHead(302, { location: 'http://[::1' });
      return void res.end();
    case 'slow':
      return void setTimeout(() => res.end(good()), Number(process.env.SLOW_MS ?? 5000));
    default:
      return void res.end(good());
  }
});

const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  players.add(ws);
  ws.on('close', () => players.delete(ws));
  // Mid-game, however long the manager took to hand the server out.
  if (mode === 'crash' && players.size === 1) setTimeout(() => process.exit(1), Number(process.env.CRASH_AFTER_MS ?? 1000));
});
process.on('SIGTERM', () => process.exit(0));
server.listen(port, '127.0.0.1');
