import { createServer, OutgoingHttpHeaders } from 'node:http';
import { exitWithParent, reportFailure } from './children';

/**
 * Helper process: the floor for allocation. Bare `node:http` answering `GET /available-gameserver/`
 * with the manager's JSON and doing nothing else. Sends {url} once it listens. It answers with
 * the headers a JSON API needs by the OWASP REST Security Cheat Sheet, written out here rather than
 * taken from the manager, so that a header the manager adds shows as its cost.
 */
const JSON_API_FLOOR_HEADERS: OutgoingHttpHeaders = {
  'cache-control': 'no-store',
  'content-security-policy': "frame-ancestors 'none'",
  'content-type': 'application/json',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

async function main(): Promise<void> {
  exitWithParent();
  const body = JSON.stringify({ available: '127.0.0.1:40000' });
  const server = createServer((request, response) => {
    if (request.method === 'GET' && (request.url === '/available-gameserver/' || request.url === '/available-gameserver')) {
      response.writeHead(200, { ...JSON_API_FLOOR_HEADERS, 'content-length': Buffer.byteLength(body) });
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
