import { createServer, OutgoingHttpHeaders } from 'node:http';
import { exitWithParent, reportFailure } from './children';

/**
 * Helper process: the floor for allocation. Bare `node:http` answering `GET /available-gameserver/`
 * with the manager's JSON and doing nothing else. Sends {url} once it listens. A message
 * {headers} sets the headers it answers with, so that it sends the very headers the manager
 * sends (security headers, CORS, Cache-Control); it answers {headers} once they apply.
 */
async function main(): Promise<void> {
  exitWithParent();
  const body = JSON.stringify({ available: '127.0.0.1:40000' });
  let headers: OutgoingHttpHeaders = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  process.on('message', (message: { headers: OutgoingHttpHeaders }) => {
    headers = message.headers;
    process.send?.({ headers });
  });
  const server = createServer((request, response) => {
    if (request.method === 'GET' && (request.url === '/available-gameserver/' || request.url === '/available-gameserver')) {
      response.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) });
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
