import cors from '@fastify/cors';
import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import fastify, { FastifyInstance, FastifyReply } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Settings } from '../config/settings';
import { BODY_LIMIT_BYTES } from '../http-limits';
import { SECURITY_HEADERS } from '../security-headers';
import type { AvailableServerDto, NoRoomDto, ServerListDto } from './allocation.dto';
import { AllocationService } from './allocation.service';

/** Seconds a client should wait before asking again when no server has room. */
export const RETRY_AFTER_SECONDS = 5;

/** The URLs the client API answers: its two paths, with or without a trailing slash or a query. */
const CLIENT_URL = /^\/available-gameserver(-list)?\/?(\?|$)/;

/**
 * The game clients' endpoints, `GET /available-gameserver/` and `GET /available-gameserver-list/`:
 * their paths and answers are a contract with deployed clients, and the first one is the hot path
 * of the whole manager.
 *
 * They are served by a plain Fastify instance of their own, on the manager's port, rather than by a
 * Nest controller: Nest's router, its adapter's request hooks and its middleware engine tripled
 * the CPU an allocation costs, and kept the manager at 0.30 of bare `node:http` (README,
 * Performance). The rest of the manager stays in Nest; `createHttpApp` sends each request to one
 * or the other by its URL. Answers carry the same security headers as the rest, and CORS (for
 * browser games, `CORS_ORIGINS`) applies here only: no other endpoint is for browsers.
 */
@Injectable()
export class ClientApi implements OnModuleInit, OnApplicationShutdown {
  private readonly app: FastifyInstance;

  constructor(
    private readonly allocation: AllocationService,
    settings: Settings,
  ) {
    this.app = fastify({ routerOptions: { ignoreTrailingSlash: true }, bodyLimit: BODY_LIMIT_BYTES });
    const origins = settings.CORS_ORIGINS === '*' ? '*' : settings.CORS_ORIGINS.split(',').map((origin) => origin.trim());
    // Before CORS, whose hook answers preflights: hooks run in the order they are added.
    this.app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(SECURITY_HEADERS).header('cache-control', 'no-store');
      done();
    });
    void this.app.register(cors, { origin: origins, methods: ['GET', 'HEAD'] });
    this.app.get('/available-gameserver', (_request, reply) => this.available(reply));
    this.app.get('/available-gameserver-list', (): ServerListDto => ({ server_list: this.allocation.acceptingServers() }));
  }

  /** Whether a request is for the client API rather than for the rest of the manager. */
  serves(url: string | undefined): boolean {
    return url !== undefined && CLIENT_URL.test(url);
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
    const outcome = this.allocation.allocate();
    if (outcome.kind !== 'none') return { available: outcome.address };
    reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS));
    return { error: 'no game server has room; the fleet is growing, retry later' };
  }
}
