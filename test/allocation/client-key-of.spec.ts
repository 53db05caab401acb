import type { IncomingMessage } from 'node:http';
import { clientKeyOf } from '../../src/allocation/client-key-of';
import { parseTrustedProxies } from '../../src/config/trusted-proxies';

/** A request as node:http hands it over, from `peer`, with the header lines given (and node's own view of them, which proxy-addr reads). */
function requestFrom(peer: string, lines: [string, string][] = []): IncomingMessage {
  const socket = { remoteAddress: peer };
  const headers: Record<string, string> = {};
  for (const [name, value] of lines) headers[name.toLowerCase()] = name.toLowerCase() in headers ? `${headers[name.toLowerCase()]}, ${value}` : value;
  return { socket, connection: socket, headers, rawHeaders: lines.flat() } as unknown as IncomingMessage;
}

describe('clientKeyOf: who asks for a place', () => {
  it.each<{ case: string; peer: string; headers?: [string, string][]; trusted?: string; expected: object | undefined }>([
    { case: 'an IPv4 client by its address', peer: '198.51.100.7', expected: { address: '198.51.100.7' } },
    { case: 'an IPv4 client on a dual-stack socket by its IPv4 address', peer: '::ffff:198.51.100.7', expected: { address: '198.51.100.7' } },
    { case: 'an IPv6 client by its /64', peer: '2001:db8:1:2:aaaa:bbbb:cccc:dddd', expected: { address: '2001:db8:1:2::/64' } },
    { case: 'the same /64 written short', peer: '2001:db8:1:2::1', expected: { address: '2001:db8:1:2::/64' } },
    { case: 'X-Forwarded-For from an untrusted peer is ignored', peer: '198.51.100.7', headers: [['x-forwarded-for', '203.0.113.9']], expected: { address: '198.51.100.7' } },
    { case: 'behind a trusted proxy, the client it names', peer: '10.0.0.5', trusted: '10.0.0.0/16', headers: [['x-forwarded-for', '203.0.113.9']], expected: { address: '203.0.113.9' } },
    { case: 'behind a trusted proxy, an IPv6 client by its /64', peer: '10.0.0.5', trusted: '10.0.0.0/16', headers: [['x-forwarded-for', '2001:db8:9::77']], expected: { address: '2001:db8:9::/64' } },
    { case: 'behind a trusted proxy that adds the port, the client without it', peer: '10.0.0.5', trusted: '10.0.0.0/16', headers: [['x-forwarded-for', '203.0.113.9:40000']], expected: { address: '203.0.113.9' } },
    { case: 'behind a trusted proxy that adds the port, an IPv6 client by its /64', peer: '10.0.0.5', trusted: '10.0.0.0/16', headers: [['x-forwarded-for', '[2001:db8:9::77]:443']], expected: { address: '2001:db8:9::/64' } },
    { case: 'behind a trusted proxy, an IPv6 client in brackets', peer: '10.0.0.5', trusted: '10.0.0.0/16', headers: [['x-forwarded-for', '[2001:db8:9::77]']], expected: { address: '2001:db8:9::/64' } },
    ...['x203.0.113.9:40000', '203.0.113.9:40000x', 'x[2001:db8:9::77]:443', '[2001:db8:9::77]:443x'].map((forwarded) => ({
      case: `behind a trusted proxy, ${forwarded}, an address and port among other text, as written`,
      peer: '10.0.0.5',
      trusted: '10.0.0.0/16',
      headers: [['x-forwarded-for', forwarded]] as [string, string][],
      expected: { address: forwarded },
    })),
    // A proxy is trusted to name the client, not to write an address: what it wrote is the key, never a 500.
    { case: 'behind a trusted proxy, a forwarded value that is no address, as written', peer: '10.0.0.5', trusted: '10.0.0.0/16', headers: [['x-forwarded-for', 'unknown:0']], expected: { address: 'unknown:0' } },
    { case: 'with the id it names itself by', peer: '198.51.100.7', headers: [['fleet-client-id', 'player-42.a_b~c']], expected: { address: '198.51.100.7', id: 'player-42.a_b~c' } },
    { case: '128 characters of id', peer: '198.51.100.7', headers: [['fleet-client-id', 'x'.repeat(128)]], expected: { address: '198.51.100.7', id: 'x'.repeat(128) } },
    { case: 'an id of 129 characters is malformed', peer: '198.51.100.7', headers: [['fleet-client-id', 'x'.repeat(129)]], expected: undefined },
    { case: 'an empty id is malformed', peer: '198.51.100.7', headers: [['fleet-client-id', '']], expected: undefined },
    { case: 'two ids (read joined with ", ", as node joins repeated headers) are malformed', peer: '198.51.100.7', headers: [['Fleet-Client-Id', 'a'], ['fleet-client-id', 'b']], expected: undefined },
    { case: 'a control character is malformed', peer: '198.51.100.7', headers: [['fleet-client-id', 'a\tb']], expected: undefined },
  ])('$case', ({ peer, headers, trusted, expected }) => {
    expect(clientKeyOf(requestFrom(peer, headers), parseTrustedProxies(trusted))).toEqual(expected);
  });
});
