// @ts-check
'use strict';
/**
 * A game server that misbehaves on purpose, for the abuse tests. It serves players like the
 * sample server (WebSocket on any path), but its health endpoint answers according to MODE:
 * garbage, partial, negative, absurd, huge (10 MB), hang, slow (SLOW_MS), flap (good/bad in
 * turns) or crash (exits CRASH_AFTER_MS after start). With GOOD_FOR_MS it answers well first.
 */
const http = require('node:http');
const { WebSocketServer } = require('ws');

const port = Number(process.env.PORT);
const capacity = Number(process.env.CAPACITY ?? 10);
const mode = process.env.MODE ?? 'garbage';
const goodUntil = Date.now() + Number(process.env.GOOD_FOR_MS ?? 0);
const players = new Set();
let probes = 0;

const good = () => JSON.stringify({ available_capacity: Math.max(0, capacity - players.size), ready_to_close: players.size === 0 });

const server = http.createServer((req, res) => {
  probes += 1;
  if (Date.now() < goodUntil || (mode === 'flap' && probes % 2 === 1)) return void res.end(good());
  switch (mode) {
    case 'garbage':
    case 'flap':
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
});

if (mode === 'crash') setTimeout(() => process.exit(1), Number(process.env.CRASH_AFTER_MS ?? 1000));
process.on('SIGTERM', () => process.exit(0));
server.listen(port, '127.0.0.1');
