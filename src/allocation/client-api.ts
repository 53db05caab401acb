import cors from '@fastify/cors';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import fastify, { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Settings } from '../config/settings';
import { BODY_LIMIT_BYTES } from '../http-limits';
import { securityHeadersHook } from '../security-headers';
import type { AvailableServerDto, NoRoomDto, ServerListDto } from './allocation.dto';
import { AllocationService } from './allocation.service';

/** Seconds a client should wait before asking again when no server has room. */
export const RETRY_AFTER_SECONDS = 5;

/** The client API's paths. Each also answers with a trailing slash, and with a query string. */
export const CLIENT_PATHS = { available: '/available-gameserver', list: '/available-gameserver-list' } as const;
const SERVED_PATHS: ReadonlySet<string> = new Set(Object.values(CLIENT_PATHS));

/**
 * The game clients' endpoints, `GET /available-gameserver/` and `GET /available-gameserver-list/`:
 * their paths and answers are a contract with deployed clients, and the first one is the hot path
 * of the whole manager.
 *
 * They are served by a plain Fastify instance of their own, on the manager's port, rather than by a
 * Nest controller: Nest's router, its adapter's request hooks and its middleware engine tripled
 * the CPU an allocation costs, and kept the manager at 0.30 of bare `node:http` (README,
 * Performance). The rest of the manager stays in Nest; `createHttpApp` sends each request to one
 * or the other by its URL. Answers carry the same security headers as the rest, errors the same
 * shape, and CORS (for browser games, `CORS_ORIGINS`) applies here only: no other endpoint is for
 * browsers.
 */
@Injectable()
export class ClientApi implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ClientApi.name);
  private readonly app: FastifyInstance;

  constructor(
    private readonly allocation: AllocationService,
    settings: Settings,
  ) {
    this.app = fastify({ routerOptions: { ignoreTrailingSlash: true }, bodyLimit: BODY_LIMIT_BYTES });
    // Before CORS, whose hook answers preflights: hooks run in the order they are added.
    this.app.addHook('onRequest', securityHeadersHook);
    const origins = settings.CORS_ORIGINS === '*' ? '*' : settings.CORS_ORIGINS.split(',').map((origin) => origin.trim());
    void this.app.register(cors, { origin: origins, methods: ['GET', 'HEAD'] });
    this.app.get(CLIENT_PATHS.available, (_request, reply) => this.available(reply));
    this.app.get(CLIENT_PATHS.list, (_request, reply): ServerListDto => {
      reply.header('cache-control', 'no-store');
      return { server_list: this.allocation.acceptingServers() };
    });
    // The same answers as Nest gives for the rest of the manager: no internals in a 5xx, which is logged.
    this.app.setNotFoundHandler((request, reply) => {
      void reply.code(404).send({ message: `Cannot ${request.method} ${request.url}`, error: 'Not Found', statusCode: 404 });
    });
    this.app.setErrorHandler((error: FastifyError, request, reply) => {
      if ((error.statusCode ?? 500) < 500) return reply.send(error);
      this.logger.error({ err: error, url: request.url }, `${request.method} ${request.url} failed: ${error.message}`);
      return reply.code(500).send({ message: 'Internal server error', statusCode: 500 });
    });
  }

  /** Whether a request is for the client API rather than for the rest of the manager. */
  serves(url: string | undefined): boolean {
    if (url === undefined) return false;
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    return SERVED_PATHS.has(path.endsWith('/') ? path.slice(0, -1) : path);
  }

  /** Answers one request of the client API (one that `serves`). */
  handle(request: IncomingMessage, response: ServerResponse): void {
    this.app.routing(request, response);
  }

  async onModuleInit(): Promise<void> {
    await this.app.ready();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.app.close();
  }

  private available(reply: FastifyReply): AvailableServerDto | NoRoomDto {
    reply.header('cache-control', 'no-store');
    const outcome = this.allocation.allocate();
    if (outcome.kind !== 'none') return { available: outcome.address };
    reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS));
    return { error: 'no game server has room; the fleet is growing, retry later' };
  }
}
