/** The limits per client address (ClientLimits), as metrics and logs name them. */
export const CLIENT_LIMITS = ['allocations_per_minute', 'reserved_places'] as const;
export type ClientLimit = (typeof CLIENT_LIMITS)[number];

/** What one request of a game client for a place got. */
export type AllocationOutcome =
  | { readonly kind: 'server'; readonly address: string; readonly serverId: string }
  | { readonly kind: 'backup'; readonly address: string }
  /** No room and no backup server: the client should ask again after retryAfterSeconds. */
  | { readonly kind: 'none'; readonly retryAfterSeconds: number }
  /** The client's address is over its limits (ClientLimits): nothing reserved, and no demand counted. */
  | { readonly kind: 'limited'; readonly limit: ClientLimit; readonly retryAfterSeconds: number }
  /** This manager is a standby (or a leader still rebuilding the fleet it took over): the leader hands out places. */
  | { readonly kind: 'standby' };
