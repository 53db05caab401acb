import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';
import type { TrustedProxies } from '../config/trusted-proxies';
import type { ClientKey } from '../domain/client-key';
import { headerValue } from '../http/header-value';

/** The header in which a game client may name itself (see ClientKey.id); unchanged clients send none. */
export const CLIENT_ID_HEADER = 'Fleet-Client-Id';
const CLIENT_ID_FORM = /^[\x21-\x7e]{1,128}$/;
export const CLIENT_ID_RULE = `${CLIENT_ID_HEADER} must be 1 to 128 visible ASCII characters (no spaces)`;

/**
 * An IPv6 client is known by its /64: a subscriber usually gets a whole /64 and can use any of its
 * 2^64 addresses, so limits per single address would be no limits.
 */
const IPV6_CLIENT_PREFIX = 64;

/** Who sent `request` (ClientKey), or undefined if its Fleet-Client-Id header is malformed. */
export function clientKeyOf(request: IncomingMessage, trustedProxies: TrustedProxies | undefined): ClientKey | undefined {
  // Trusting no proxy, the peer is the client: no need to parse X-Forwarded-For on every request.
  const peer = trustedProxies ? withoutPort(proxyaddr(request, trustedProxies)) : request.socket.remoteAddress;
  // A peer already gone has no address; its answer will go nowhere either.
  const address = clientAddress(peer ?? 'unknown');
  const id = headerValue(request, 'fleet-client-id');
  if (id === undefined) return { address };
  return CLIENT_ID_FORM.test(id) ? { address, id } : undefined;
}

/**
 * Some load balancers forward the client's port too (Azure Application Gateway writes `ip:port`,
 * `[ipv6]:port`). A port is a connection, not a client: kept, every connection would be a new
 * client with limits of its own.
 */
function withoutPort(forwarded: string): string {
  const ipv4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(forwarded);
  if (ipv4) return ipv4[1];
  const ipv6 = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(forwarded);
  return ipv6 ? ipv6[1] : forwarded;
}

function clientAddress(address: string): string {
  // Node writes IPv4 peers in dotted form (or IPv4-mapped on a dual-stack socket, handled below).
  if (!address.includes(':') || !ipaddr.IPv6.isValid(address)) return address;
  const parsed = ipaddr.IPv6.parse(address);
  if (parsed.isIPv4MappedAddress()) return parsed.toIPv4Address().toString();
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/${IPV6_CLIENT_PREFIX}`).toString()}/${IPV6_CLIENT_PREFIX}`;
}
