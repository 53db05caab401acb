import { Controller, Get, Header, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AvailableServerDto, NoRoomDto, ServerListDto } from './allocation.dto';
import { AllocationService } from './allocation.service';

/** Seconds a client should wait before asking again when no server has room. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The game clients' endpoints: their paths and answers are a contract with deployed clients.
 * The router ignores a trailing slash, so each path answers with and without it.
 */
@ApiTags('game clients')
@Controller()
export class AllocationController {
  constructor(private readonly allocation: AllocationService) {}

  @Get('available-gameserver')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'A game server with a free place, reserved for this client (also at /available-gameserver/)' })
  @ApiOkResponse({ type: AvailableServerDto, description: 'a fleet server, or BACKUP_GAMESERVER when none has room' })
  @ApiServiceUnavailableResponse({ type: NoRoomDto, description: 'no room and no BACKUP_GAMESERVER; Retry-After says when to ask again' })
  available(@Res({ passthrough: true }) reply: FastifyReply): AvailableServerDto | NoRoomDto {
    const outcome = this.allocation.allocate();
    if (outcome.kind !== 'none') return { available: outcome.address };
    reply.status(HttpStatus.SERVICE_UNAVAILABLE).header('Retry-After', String(RETRY_AFTER_SECONDS));
    return { error: 'no game server has room; the fleet is growing, retry later' };
  }

  @Get('available-gameserver-list')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'The servers that take players now, not draining ones (also at /available-gameserver-list/)' })
  @ApiOkResponse({ type: ServerListDto })
  list(): ServerListDto {
    return { server_list: this.allocation.acceptingServers() };
  }
}
