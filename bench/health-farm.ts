import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, Server } from 'node:net';
import { exitWithParent, reportFailure } from './children';

/**
 * Helper process: plays many healthy game servers at once. It answers the game server health
 * contract (`GET /health/` and `/health`) on `count` listeners, each on a port the kernel picks,
 * spread over the loopback addresses 127.0.0.<first>, 127.0.0.<first+1>, ... `perHost` listeners
 * each. One HTTP server takes the connections of every listener, so a listener costs one socket.
 *
 * argv[2]: JSON {count, capacity, perHost, firstHost}. Sends {addresses: ["127.0.0.x:port", ...]}.
 */
export interface FarmShardConfig {
  readonly count: number;
  readonly capacity: number;
  readonly perHost: number;
  readonly firstHost: number;
}

async function main(config: FarmShardConfig): Promise<void> {
  exitWithParent();
  const body = JSON.stringify({ available_capacity: config.capacity, ready_to_close: false });
  const http = createHttpServer((request, response) => {
    const path = request.url?.split('?')[0];
    if (request.method === 'GET' && (path === '/health/' || path === '/health')) {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    } else {
      response.writeHead(404).end();
    }
  });
  const addresses: string[] = [];
  for (let i = 0; i < config.count; i++) {
    const host = `127.0.0.${config.firstHost + Math.floor(i / config.perHost)}`;
    const listener: Server = createTcpServer((socket) => http.emit('connection', socket));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ port: 0, host, backlog: 64 }, () => resolve());
    });
    const { port } = listener.address() as { port: number };
    addresses.push(`${host}:${port}`);
  }
  process.send?.({ addresses });
}

main(JSON.parse(process.argv[2]) as FarmShardConfig).catch(reportFailure);
