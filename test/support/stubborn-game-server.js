// @ts-check
'use strict';
/**
 * The sample game server, but one that ignores SIGTERM, as a game server finishing its round
 * would: it runs until ECS's stop timeout sends SIGKILL. For tests of what happens meanwhile.
 */
require('../../sample-game-server/server.js');
process.removeAllListeners('SIGTERM');
process.on('SIGTERM', () => undefined);
