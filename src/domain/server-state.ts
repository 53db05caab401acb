/** The life of a game server as the manager sees it. The same names appear in the API, logs and metrics. */
export const SERVER_STATES = ['launching', 'ready', 'draining', 'unhealthy', 'stopping'] as const;
export type ServerState = (typeof SERVER_STATES)[number];

/** Up: it has answered healthy and is not being stopped, so its places (players or room) exist. */
export function isUp(state: ServerState): boolean {
  return state === 'ready' || state === 'draining' || state === 'unhealthy';
}

/** How many servers are in each state, every state present. */
export function countByState(servers: readonly { readonly state: ServerState }[]): Record<ServerState, number> {
  const counts = Object.fromEntries(SERVER_STATES.map((state) => [state, 0])) as Record<ServerState, number>;
  for (const server of servers) counts[server.state] += 1;
  return counts;
}
