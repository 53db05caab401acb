/** The life of a game server as the manager sees it. The same names appear in the API, logs and metrics. */
export const SERVER_STATES = ['launching', 'ready', 'draining', 'unhealthy', 'stopping'] as const;
export type ServerState = (typeof SERVER_STATES)[number];
