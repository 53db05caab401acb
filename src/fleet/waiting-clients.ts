import type { ClientKey } from '../domain/client-key';

/**
 * How long a client that named itself still counts as the same waiting player after it was last
 * turned away: twice the longest `Retry-After` (allocation/retry-after.ts), so that a client that
 * waits as it is told and asks again is not counted twice, while one that gave up and comes back
 * later is a new wait.
 */
export const WAIT_MEMORY_MS = 120_000;

/**
 * The waiting clients remembered at most: about 18 MB with ids of 128 characters. Ids cost a
 * client nothing: one that sends a new id with each request while the fleet is full (the limit
 * per minute lets one address send 600) would otherwise fill the memory until the sweep. Past it
 * a new id counts as a client without one, a player each try: the demand is overstated, never lost.
 */
export const MAX_WAITING_CLIENTS = 50_000;

/** What one refusal of a waiting client counts for. */
export interface Refusal {
  /** It begins a wait: a new player turned away (new demand). */
  readonly began: boolean;
  /** It is the client's first refusal in this round of demand (since the last pass): a player the pass must count as unmet. */
  readonly firstInRound: boolean;
}

/**
 * The clients that named themselves (`Fleet-Client-Id`) and were turned away for want of room,
 * and are still waiting. The turned-away demand counts players, as the simulator does: counted
 * per request, one game client asking again every 100 ms while a server boots looked like dozens
 * of players, and the fleet launched servers for them. A client waits until it gets a place, or
 * until WAIT_MEMORY_MS pass without it being turned away. Two counts come of it: a wait that
 * begins is new demand (the adaptive margin's history, the demand record an operator replays);
 * a client still waiting counts once in each pass's unmet demand, so that the policy launches
 * again for it should the launch it got fail.
 *
 * A client that does not name itself cannot be told from its neighbours behind the same NAT, so
 * each of its tries still counts: better a server too many for a busy NAT than players left out.
 */
export class WaitingClients {
  /** Each waiting client's last refusal, and the round of demand it fell in, by keyOf. */
  private readonly waiting = new Map<string, { at: number; round: number }>();
  /** The round of demand: one a pass (nextRound). */
  private round = 0;
  private sweptAt = 0;

  /** `client` was turned away at `now`: what that counts for. A client without an id is a new player each time. */
  turnedAway(client: ClientKey | undefined, now: number): Refusal {
    if (client?.id === undefined) return EVERY_TRY;
    this.sweepNowAndThen(now);
    const key = keyOf(client.address, client.id);
    const last = this.waiting.get(key);
    if (last === undefined && this.waiting.size >= MAX_WAITING_CLIENTS) return EVERY_TRY;
    this.waiting.set(key, { at: now, round: this.round });
    const began = last === undefined || now - last.at > WAIT_MEMORY_MS;
    return { began, firstInRound: began || last.round !== this.round };
  }

  /**
   * `client` got a place at `now`: its wait is over, and a later refusal is a new one (its next
   * game). Answers whether it was waiting, so already counted as demand when its wait began: its
   * place is then no new player.
   */
  served(client: ClientKey | undefined, now: number): boolean {
    // Nobody waits in a fleet with room, the common case: no key to build per allocation.
    if (client?.id === undefined || this.waiting.size === 0) return false;
    const key = keyOf(client.address, client.id);
    const last = this.waiting.get(key);
    if (last === undefined) return false;
    this.waiting.delete(key);
    return now - last.at <= WAIT_MEMORY_MS;
  }

  /** A pass took the demand: a client still waiting counts once more in its unmet demand. */
  nextRound(): void {
    this.round += 1;
  }

  /** Forgets, once per WAIT_MEMORY_MS, the clients that stopped asking: ids that never come back must not pile up. */
  private sweepNowAndThen(now: number): void {
    if (now - this.sweptAt < WAIT_MEMORY_MS) return;
    this.sweptAt = now;
    for (const [key, last] of this.waiting) if (now - last.at > WAIT_MEMORY_MS) this.waiting.delete(key);
  }
}

/** A client that cannot be told from its neighbours: every try is a player, and unmet. */
const EVERY_TRY: Refusal = Object.freeze({ began: true, firstInRound: true });

/** An id is visible ASCII without spaces (client-key-of.ts), and an address has none either. */
const keyOf = (address: string, id: string) => `${address} ${id}`;
