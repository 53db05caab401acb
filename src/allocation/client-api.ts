import { Injectable, Logger } from '@nestjs/common';
import cors from 'cors';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Settings } from '../config/settings';
import { parseTrustedProxies, TrustedProxies } from '../config/trusted-proxies';
import { headerValue } from '../http/header-value';
import { JSON_API_HEADERS } from '../http/json-api-headers';
import { FleetMetrics } from '../metrics/fleet-metrics';
import type { AllocationOutcome, ClientLimit } from '../domain/allocation-outcome';
import type { AvailableServerDto, NoRoomDto, ServerListDto } from './allocation.dto';
import { AllocationService } from './allocation.service';
import { CLIENT_ID_RULE, clientKeyOf } from './client-key-of';
import { TICKET_REFUSALS, TicketCheck } from './client-ticket';
import { messageOf } from '../domain/error-message';

/** Seconds a client should wait before asking a standby again: it may lead within one look at the lease, or the load balancer moves the client to the leader. */
export const STANDBY_RETRY_AFTER_SECONDS = 1;

/** The client API's paths. Each also answers with a trailing slash, and with a query string. */
export const CLIENT_PATHS = { available: '/available-gameserver', list: '/available-gameserver-list' } as const;
type ClientPath = (typeof CLIENT_PATHS)[keyof typeof CLIENT_PATHS];

/**
 * The methods each client path answers. Any other request goes to Nest, which refuses it as it
 * refuses an unknown route (404, and 413 for a body over the limit). HEAD of the allocation
 * endpoint is refused too: it would reserve a place for an answer nobody reads, and uptime and
 * link checkers send HEAD.
 */
const SERVED_METHODS: ReadonlyMap<string, ReadonlySet<string>> = new Map<ClientPath, ReadonlySet<string>>([
  [CLIENT_PATHS.available, new Set(['GET', 'OPTIONS'])],
  [CLIENT_PATHS.list, new Set(['GET', 'HEAD', 'OPTIONS'])],
]);

type CorsMiddleware = ReturnType<typeof cors>;

const JSON_API_HEADER_MAP = new Map<string, string>(Object.entries(JSON_API_HEADERS));

/**
 * The game clients' endpoints, `GET /available-gameserver/` and `GET /available-gameserver-list/`:
 * their paths and answers are a contract with deployed clients, and the first one is the hot path
 * of the whole manager.
 *
 * They are answered straight on node:http, on the manager's port, rather than by a Nest
 * controller or a Fastify route: two fixed paths need no router, and each framework layer cost a
 * measurable share of an allocation (docs/performance.md: Nest's router and hooks tripled its
 * CPU; a Fastify instance of their own still cost up to a third more than node:http).
 * `createHttpApp` sends each request to this class or to Nest by method and path (`routeOf`).
 * Answers carry the headers a JSON API needs (JSON_API_HEADERS) and errors the same shape as the rest;
 * CORS (for browser games, `CORS_ORIGINS`) applies here only, since no other endpoint is for
 * browsers. Other methods on these paths (and their bodies, with Nest's body limit) are refused
 * by Nest.
 */
@Injectable()
export class ClientApi {
  private readonly logger = new Logger(ClientApi.name);
  private readonly cors: CorsMiddleware;
  private readonly trustedProxies?: TrustedProxies;
  private readonly tickets?: TicketCheck;

  constructor(
    private readonly allocation: AllocationService,
    private readonly metrics: FleetMetrics,
    settings: Settings,
  ) {
    if (settings.CLIENT_TICKET_SECRET) this.tickets = new TicketCheck(settings.CLIENT_TICKET_SECRET);
    const origins = settings.CORS_ORIGINS === '*' ? '*' : settings.CORS_ORIGINS.split(',').map((origin) => origin.trim());
    this.cors = cors({ origin: origins, methods: 'GET, HEAD' });
    this.trustedProxies = parseTrustedProxies(settings.TRUSTED_PROXIES);
  }

  /** The client path a request is for, or undefined if it is for the rest of the manager. */
  routeOf(request: IncomingMessage): ClientPath | undefined {
    const path = clientPathOf(request.url);
    return path && SERVED_METHODS.get(path)?.has(request.method as string) ? path : undefined;
  }

  /** Answers one request of the client API, for the path `routeOf` found. */
  handle(path: ClientPath, request: IncomingMessage, response: ServerResponse): void {
    try {
      // CORS headers are read by browsers alone, and a browser sends Origin with every
      // cross-origin request and preflight. Game clients that are not browsers send none: for
      // them the middleware's work (8 % of an allocation's CPU) would buy nothing.
      if (headerValue(request, 'origin') === undefined && request.method !== 'OPTIONS') return this.answer(path, request, response);
      // The middleware ends a preflight itself, so its answer needs the security headers now.
      if (request.method === 'OPTIONS') response.setHeaders(JSON_API_HEADER_MAP);
      // With fixed options the middleware calls back at once, inside this try.
      this.cors(request, response, (error) => (error ? this.fail(request, response, error) : this.answer(path, request, response)));
    } catch (error) {
      this.fail(request, response, error);
    }
  }

  private answer(path: ClientPath, request: IncomingMessage, response: ServerResponse): void {
    const refusal = this.tickets?.refusalOf(headerValue(request, 'authorization'), Date.now());
    if (refusal) {
      this.metrics.ticketRefused(refusal);
      // RFC 6750: a request without credentials is told the scheme; one with bad ones, why too.
      const challenge = refusal === 'missing' ? 'Bearer realm="fleet-manager"' : `Bearer realm="fleet-manager", error="invalid_token", error_description="${TICKET_REFUSALS[refusal]}"`;
      return send(response, 401, { error: TICKET_REFUSALS[refusal] } satisfies NoRoomDto, { 'www-authenticate': challenge });
    }
    if (path === CLIENT_PATHS.list) return send(response, 200, { server_list: this.allocation.acceptingServers() } satisfies ServerListDto);
    const client = clientKeyOf(request, this.trustedProxies);
    if (!client) return send(response, 400, { error: CLIENT_ID_RULE } satisfies NoRoomDto);
    this.allocation.allocateFor(client).then(
      (outcome) => {
        // Thrown here, an error would reject a promise nobody holds: an unhandled rejection ends the process.
        try {
          answerOutcome(response, outcome);
        } catch (error) {
          this.fail(request, response, error);
        }
      },
      (error: unknown) => this.fail(request, response, error),
    );
  }

  /** The same answer as Nest gives for the rest of the manager: no internals in a 5xx, which is logged. */
  private fail(request: IncomingMessage, response: ServerResponse, error: unknown): void {
    this.logger.error({ err: error, url: request.url }, `${request.method} ${request.url} failed: ${messageOf(error)}`);
    // An answer begun cannot be replaced by a 500; a broken connection at least tells the client.
    if (response.headersSent) return void response.destroy();
    try {
      send(response, 500, { message: 'Internal server error', statusCode: 500 });
    } catch {
      response.destroy();
    }
  }
}

const LIMITED_BECAUSE: Readonly<Record<ClientLimit, string>> = {
  allocations_per_minute: 'too many places asked from this address',
  reserved_places: 'too many places reserved and not yet taken from this address',
};

/** The answer to one allocation request, by what it got. */
function answerOutcome(response: ServerResponse, outcome: AllocationOutcome): void {
  switch (outcome.kind) {
    case 'server':
    case 'backup':
      return send(response, 200, { available: outcome.address } satisfies AvailableServerDto);
    case 'standby':
      return send(response, 503, { error: 'this manager is a standby; the leader hands out places, retry shortly' } satisfies NoRoomDto, { 'retry-after': String(STANDBY_RETRY_AFTER_SECONDS) });
    case 'limited':
      return send(response, 429, { error: `${LIMITED_BECAUSE[outcome.limit]}; retry after ${outcome.retryAfterSeconds} s` } satisfies NoRoomDto, { 'retry-after': String(outcome.retryAfterSeconds) });
    case 'none':
      return send(response, 503, { error: 'no game server has room; the fleet is growing, retry later' } satisfies NoRoomDto, { 'retry-after': String(outcome.retryAfterSeconds) });
  }
}

/** The client path a URL asks for, whatever its trailing slash and query string. */
function clientPathOf(url: string | undefined): ClientPath | undefined {
  if (url === undefined) return undefined;
  const query = url.indexOf('?');
  let path = query === -1 ? url : url.slice(0, query);
  if (path.endsWith('/')) path = path.slice(0, -1);
  // A Map, not an object's keys: a path cut from the URL is a new string each time, and looking it
  // up as a property name first searched V8's table of property names (seen in a profile).
  return SERVED_METHODS.has(path) ? (path as ClientPath) : undefined;
}

/** One JSON answer in one write: with its length known, node:http sends head and body together. */
function send(response: ServerResponse, status: number, answer: object, headers?: OutgoingHttpHeaders): void {
  const body = JSON.stringify(answer);
  response.writeHead(status, { ...JSON_API_HEADERS, ...headers, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}
