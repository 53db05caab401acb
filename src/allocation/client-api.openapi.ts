import { getSchemaPath, OpenAPIObject } from '@nestjs/swagger';
import { AvailableServerDto, NoRoomDto, ServerListDto } from './allocation.dto';
import { CLIENT_PATHS } from './client-api';
import { MAX_RETRY_AFTER_SECONDS, MIN_RETRY_AFTER_SECONDS } from './retry-after';

/** The schemas the client API's answers follow, for the OpenAPI document's components. */
export const CLIENT_API_MODELS = [AvailableServerDto, NoRoomDto, ServerListDto];

const json = (model: new () => unknown) => ({ 'application/json': { schema: { $ref: getSchemaPath(model) } } });

/**
 * The client API in OpenAPI, written here because ClientApi is not a Nest controller that
 * @nestjs/swagger could read. The e2e suite checks it against the real answers.
 */
export const CLIENT_API_PATHS: OpenAPIObject['paths'] = {
  [CLIENT_PATHS.available]: {
    get: {
      tags: ['game clients'],
      summary: 'A game server with a free place, reserved for this client (also at /available-gameserver/)',
      operationId: 'availableGameServer',
      responses: {
        '200': { description: 'a fleet server, or BACKUP_GAMESERVER when none has room', content: json(AvailableServerDto) },
        '503': {
          description: 'no room and no BACKUP_GAMESERVER; Retry-After says when to ask again',
          headers: {
            'Retry-After': {
              schema: { type: 'integer', minimum: MIN_RETRY_AFTER_SECONDS, maximum: MAX_RETRY_AFTER_SECONDS, example: 5 },
              description: 'seconds until the first launching server is expected up (from the measured boot time)',
            },
          },
          content: json(NoRoomDto),
        },
        '429': {
          description: 'this client address asked for more than CLIENT_ALLOCATIONS_PER_MINUTE places in a minute; nothing was reserved',
          headers: {
            'Retry-After': { schema: { type: 'integer', minimum: 1, maximum: 60, example: 12 }, description: 'seconds until the address may ask again' },
          },
          content: json(NoRoomDto),
        },
      },
    },
  },
  [CLIENT_PATHS.list]: {
    get: {
      tags: ['game clients'],
      summary: 'The servers that take players now, not draining ones (also at /available-gameserver-list/)',
      operationId: 'availableGameServerList',
      responses: { '200': { description: 'addresses as host:port', content: json(ServerListDto) } },
    },
  },
};
