import { Agent, ClientRequest, get, IncomingMessage } from 'node:http';
import { parseHealthReport, ProbeResult } from './health-report';
import { inParallel } from '../concurrency/in-parallel';

/** A health answer is a few dozen bytes; anything near this is not a health answer. */
const MAX_BODY_BYTES = 16 * 1024;
const PROBE_HEADERS = { accept: 'application/json' } as const;

/**
 * Errors of socket(2) and connect(2) that say the manager ran out of something of its own, never
 * that the server failed: descriptors (EMFILE, ENFILE), kernel memory (ENOBUFS, ENOMEM), local
 * ports (EADDRNOTAVAIL: every ephemeral port in use). Counted against the servers, a descriptor
 * leak of the manager's would fail its fleet a server at a time, too slowly to look like an outage.
 */
const UNSENT_ERRORS: ReadonlySet<string | undefined> = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRNOTAVAIL']);

export interface HealthProbeOptions {
  readonly timeoutMs: number;
  /** Probes in flight at once in probeAll. */
  readonly concurrency: number;
}

/**
 * Asks game servers how much room they have: all in parallel, a bounded number at a time, each
 * with a timeout. Whatever a game server answers, or however it breaks the connection, a probe
 * ends in a result, never in an exception: one server's answer must not stop the manager. A
 * redirect is a failed probe, never followed: following one would let a game server point the
 * manager's requests at any address, the manager's own endpoints included. It uses node:http with
 * one kept-alive connection per game server rather than fetch: at 10,000 servers fetch's streams
 * made a pass 8 times slower and 3 times bigger in memory (see docs/performance.md). The manager
 * runs it on a thread of its own (HealthProber).
 */
export class HealthProbeClient {
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly agent = new Agent({ keepAlive: true });

  constructor(options: HealthProbeOptions) {
    this.timeoutMs = options.timeoutMs;
    this.concurrency = options.concurrency;
  }

  close(): void {
    this.agent.destroy();
  }

  probe(address: string): Promise<ProbeResult> {
    return new Promise((resolve) => {
      let request: ClientRequest | undefined;
      let settled = false;
      /** `abandon` closes the connection: the answer was not read to its end, so it cannot be reused. */
      const finish = (result: ProbeResult, abandon: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (abandon) request?.destroy();
        resolve(result);
      };
      const fail = (error: unknown) => finish(failedProbe(error), true);
      const dueAt = Date.now() + this.timeoutMs;
      const timedOut = (again: boolean) => {
        // A timer this late means the prober itself stalled (a long GC, a paused VM or container):
        // the answer may have arrived meanwhile, unread, or the request may not even have left.
        // The server gets one more timeout of the prober's attention before it is blamed.
        if (!again && Date.now() - dueAt > this.timeoutMs / 2) timer = setTimeout(() => timedOut(true), this.timeoutMs);
        else finish({ ok: false, error: `no answer within ${this.timeoutMs} ms` }, true);
      };
      let timer = setTimeout(() => timedOut(false), this.timeoutMs);

      let retriedStale = false;
      const ask = () => {
        try {
          const current = get({ ...hostAndPort(address), path: '/health/', agent: this.agent, headers: PROBE_HEADERS }, (response) => {
            try {
              const status = response.statusCode ?? 0;
              // Neither a redirect's body nor an error's is worth reading (it could be of any size).
              if (status !== 200) return finish({ ok: false, error: statusError(status) }, true);
              readCapped(response, MAX_BODY_BYTES)
                .then((body) => {
                  if (body === undefined) finish({ ok: false, error: `health answer larger than ${MAX_BODY_BYTES} bytes` }, true);
                  else finish(parseHealthReport(body), false);
                })
                .catch(fail);
            } catch (error) {
              fail(error);
            }
          });
          request = current;
          current.on('error', (error: NodeJS.ErrnoException) => {
            // Destroying the request of a settled probe (a timeout) errors it too: nothing to do.
            if (settled) return;
            // A kept-alive connection the server closed while idle (its keep-alive timeout, 5 s in
            // Node) fails the next request sent on it before the close is seen. That says nothing
            // about the server: ask once more, on a new connection, as Node's documentation advises.
            if (current.reusedSocket && error.code === 'ECONNRESET' && !retriedStale) {
              retriedStale = true;
              ask();
            } else {
              fail(error);
            }
          });
        } catch (error) {
          fail(error);
        }
      };
      ask();
    });
  }

  /** Probes every address; results arrive in the order of the addresses. */
  probeAll(addresses: readonly string[]): Promise<ProbeResult[]> {
    return inParallel(addresses, this.concurrency, (address) => this.probe(address));
  }
}

/**
 * `host:port` (an IPv6 host bracketed) as request options. Handing node:http a URL string would
 * parse it with WHATWG URL on every probe: a quarter of a probe's CPU in a profile at 1,000 servers.
 */
function hostAndPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const bracketed = address.startsWith('[') && address[colon - 1] === ']';
  const host = bracketed ? address.slice(1, colon - 1) : address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  // node:http would take a missing port for 80, and look a malformed host up in the DNS.
  if (host === '' || /[\s/?#@[\]]/.test(host) || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${JSON.stringify(address)} is not a host:port address`);
  return { host, port };
}

/** The body as text, or undefined as soon as it is larger than the limit (the rest is never read). */
function readCapped(response: IncomingMessage, limit: number): Promise<string | undefined> {
  if (Number(response.headers['content-length']) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) resolve(undefined);
      else chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    // 'close' comes after 'end' for a whole answer, so this only settles one cut short. Node emits
    // such an answer's 'error' only to a listener, and 'aborted' is deprecated: 'close' is the
    // one event that always comes.
    response.on('close', () => reject(new Error('the answer was cut short')));
  });
}

function statusError(status: number): string {
  const redirect = status >= 300 && status < 400 ? ' (a redirect: probes never follow one)' : '';
  return `health endpoint answered HTTP ${status}${redirect}`;
}

/** A failed probe, with its reason; `unsent` when the error says the manager ran out of its own resources. */
export function failedProbe(error: unknown): ProbeResult {
  const { code } = (error ?? {}) as { code?: string };
  const result = { ok: false, error: describe(error) } as const;
  return UNSENT_ERRORS.has(code) ? { ...result, unsent: true } : result;
}

function describe(error: unknown): string {
  const { message, code } = (error ?? {}) as { message?: string; code?: string };
  return code && message && !message.includes(code) ? `${code}: ${message}` : (message ?? String(error));
}
