import proxyaddr from 'proxy-addr';

/** Whether the peer at `address`, `hop` steps from the manager, may say who sent the request. */
export type TrustedProxies = (address: string, hop: number) => boolean;

export const TRUSTED_PROXIES_FORM =
  'expected IP addresses or CIDR ranges, comma-separated (10.0.0.0/16, 2001:db8::/32), or loopback, linklocal, uniquelocal';

/**
 * TRUSTED_PROXIES as proxy-addr's trust function (the one Express uses): X-Forwarded-For is read
 * from its right end, one hop per trusted proxy, and the first untrusted address is the client.
 * An address a client writes at the left end is therefore never believed. Undefined when it
 * trusts no proxy: the client is then the socket's peer. Throws on an entry that is neither an
 * address nor a range nor a name.
 */
export function parseTrustedProxies(setting: string | undefined): TrustedProxies | undefined {
  const entries = (setting ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  return entries.length === 0 ? undefined : proxyaddr.compile(entries);
}
