import { createServer, IncomingMessage, Server } from 'node:http';
import { once } from 'node:events';
import { connect, AddressInfo } from 'node:net';
import { ClientApiHeader, headerValue } from '../../src/http/header-value';

/** What a real node:http server reads of `name` in a request with these header lines: by headerValue, and by request.headers. */
async function readBoth(server: Server, lines: string[], name: ClientApiHeader): Promise<{ raw?: string; node?: string }> {
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.end(`GET /?name=${name} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n${lines.map((line) => `${line}\r\n`).join('')}\r\n`);
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk.toString()));
  await once(socket, 'close');
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
}

describe('headerValue: a header from rawHeaders, as request.headers gives it', () => {
  let server: Server;

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      const name = new URL(request.url ?? '/', 'http://test').searchParams.get('name') as ClientApiHeader;
      // headerValue first: it must not need request.headers built.
      const raw = headerValue(request, name);
      response.end(JSON.stringify({ raw, node: request.headers[name] }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });

  afterAll(() => server.close());

  it.each<{ case: string; lines: string[]; name: ClientApiHeader; expected: string | undefined }>([
    { case: 'absent', lines: ['Accept: */*'], name: 'origin', expected: undefined },
    { case: 'in any case of letters', lines: ['FLEET-Client-ID: p-1'], name: 'fleet-client-id', expected: 'p-1' },
    { case: 'a name that only starts the same is another header', lines: ['Origin-X: no', 'Origins: no'], name: 'origin', expected: undefined },
    { case: 'repeated: joined with ", "', lines: ['Fleet-Client-Id: a', 'fleet-client-id: b'], name: 'fleet-client-id', expected: 'a, b' },
    { case: 'repeated Origin: joined', lines: ['Origin: https://a.example', 'Origin: https://b.example'], name: 'origin', expected: 'https://a.example, https://b.example' },
    { case: 'repeated Authorization: the first kept', lines: ['Authorization: Bearer one', 'authorization: Bearer two'], name: 'authorization', expected: 'Bearer one' },
    { case: 'an empty value', lines: ['Fleet-Client-Id:'], name: 'fleet-client-id', expected: '' },
    { case: 'spaces around the value trimmed, as the parser does', lines: ['Fleet-Client-Id:   p-2   '], name: 'fleet-client-id', expected: 'p-2' },
  ])('$case', async ({ lines, name, expected }) => {
    const { raw, node } = await readBoth(server, lines, name);
    expect(raw).toBe(expected);
    // node:http's own reading of the same lines agrees.
    expect(node).toBe(expected);
  });
});
