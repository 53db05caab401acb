import { createServer } from 'node:http';
import { exitWithParent, reportFailure } from './children';

/**
 * Helper process: the floor for allocation. Bare `node:http` answering `GET /available-gameserver/`
 * with the manager's JSON and headers, and doing nothing else. Sends {url} once it listens.
 */
async function main(): Promise<void> {
  exitWithParent();
  const body = JSON.stringify({ available: '127.0.0.1:40000' });
  const server = createServer((request, response) => {
    if (request.method === 'GET' && (request.url === '/available-gameserver/' || request.url === '/available-gameserver')) {
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  process.send?.({ url: `http://127.0.0.1:${port}` });
}

main().catch(reportFailure);
