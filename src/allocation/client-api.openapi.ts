import { getSchemaPath, OpenAPIObject } from '@nestjs/swagger';
import { AvailableServerDto, NoRoomDto, ServerListDto } from './allocation.dto';
import { CLIENT_PATHS } from './client-api';
import { CLIENT_ID_HEADER, CLIENT_ID_RULE } from './client-key-of';
import { MAX_RETRY_AFTER_SECONDS, MIN_RETRY_AFTER_SECONDS } from './retry-after';

/** The schemas the client API's answers follow, for the OpenAPI document's components. */
export const CLIENT_API_MODELS = [AvailableServerDto, NoRoomDto, ServerListDto];

const json = (model: new () => unknown) => ({ 'application/json': { schema: { $ref: getSchemaPath(model) } } });

/** Both client paths answer this when CLIENT_TICKET_SECRET is set and the ticket is not good. */
const NO_TICKET = {
  description: 'CLIENT_TICKET_SECRET is set and the request has no ticket signed with it, or an expired one; error says which',
  headers: { 'WWW-Authenticate': { schema: { type: 'string', example: 'Bearer realm="fleet-manager", error="invalid_token", error_description="the ticket has expired"' } } },
  content: json(NoRoomDto),
};

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
      parameters: [
        {
          name: CLIENT_ID_HEADER,
          in: 'header',
          required: false,
          description: `An id the client gives itself (one per installation or player). A client that names itself and asks again while its place is still reserved gets the same place, with nothing more reserved; while no server has room, it counts as one waiting player however often it asks. ${CLIENT_ID_RULE}.`,
          schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,128}$', example: '7f3a9c2e-player-42' },
        },
      ],
      responses: {
        '400': { description: `${CLIENT_ID_RULE}; nothing was reserved`, content: json(NoRoomDto) },
        '401': NO_TICKET,
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
          description: 'this client address asked for CLIENT_ALLOCATIONS_PER_MINUTE places in the last minute, or holds CLIENT_RESERVED_PLACES places not yet taken; nothing was reserved',
          headers: {
            'Retry-After': { schema: { type: 'integer', minimum: 1, example: 12 }, description: 'seconds until the address may ask again: the end of its minute, or the time its oldest place times out' },
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
      responses: { '200': { description: 'addresses as host:port', content: json(ServerListDto) }, '401': NO_TICKET },
    },
  },
};
