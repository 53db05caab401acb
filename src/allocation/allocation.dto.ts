import { ApiProperty } from '@nestjs/swagger';

export class AvailableServerDto {
  @ApiProperty({ example: '203.0.113.10:7777', description: 'host:port of a game server with a place reserved for this client (or BACKUP_GAMESERVER)' })
  available!: string;
}

export class ServerListDto {
  @ApiProperty({ type: [String], example: ['203.0.113.10:7777', '203.0.113.11:7777'], description: 'servers that take players now' })
  server_list!: string[];
}

export class NoRoomDto {
  @ApiProperty({ example: 'no game server has room; the fleet is growing, retry later' })
  error!: string;
}
