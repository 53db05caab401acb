import { Controller, Get, Header, HttpStatus, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AllocationService } from './allocation.service';

/** Seconds a client should wait before asking again when no server has room. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The game clients' endpoints: their paths and answers are a contract with deployed clients.
 * The router ignores a trailing slash, so each path answers with and without it.
 */
@Controller()
export class AllocationController {
  constructor(private readonly allocation: AllocationService) {}

  @Get('available-gameserver')
  @Header('Cache-Control', 'no-store')
  available(@Res({ passthrough: true }) reply: FastifyReply): { available: string } | { error: string } {
    const outcome = this.allocation.allocate();
    if (outcome.kind !== 'none') return { available: outcome.address };
    reply.status(HttpStatus.SERVICE_UNAVAILABLE).header('Retry-After', String(RETRY_AFTER_SECONDS));
    return { error: 'no game server has room; the fleet is growing, retry later' };
  }

  @Get('available-gameserver-list')
  @Header('Cache-Control', 'no-store')
  list(): { server_list: string[] } {
    return { server_list: this.allocation.acceptingServers() };
  }
}
