import type { IncomingMessage } from 'node:http';

/** The request headers the game clients' API reads. */
export type ClientApiHeader = 'origin' | 'authorization' | 'fleet-client-id';

/** node:http keeps the first of these when repeated, and drops the rest (IncomingMessage.headers). */
const FIRST_ONLY: ReadonlySet<ClientApiHeader> = new Set(['authorization']);

/**
 * A request header's value as `request.headers[name]` gives it, read from `rawHeaders`. Node builds
 * `request.headers` on its first read, an object of every header the client sent: about 2 % of
 * the manager's CPU samples under the allocation bench, for one or two headers. Repeated, a
 * header's values are joined with ", " as node:http joins them, or the first kept (FIRST_ONLY).
 */
export function headerValue(request: IncomingMessage, name: ClientApiHeader): string | undefined {
  const raw = request.rawHeaders;
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i];
    if (key.length !== name.length || key.toLowerCase() !== name) continue;
    if (value === undefined) value = raw[i + 1];
    else if (!FIRST_ONLY.has(name)) value = `${value}, ${raw[i + 1]}`;
  }
  return value;
}
