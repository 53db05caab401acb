/**
 * How long a client that named itself still counts as the same waiting player after it was last
 * turned away: twice the longest `Retry-After` (allocation/retry-after.ts), so that a client that
 * waits as it is told and asks again is not counted twice, while one that gave up and comes back
 * later is a new wait.
 */
export const WAIT_MEMORY_MS = 120_000;

/**
 * The clients that named themselves (`Fleet-Client-Id`) and were turned away for want of room,
 * and are still waiting. The turned-away demand (the policy's unmet demand, the adaptive margin's
 * history, the demand record an operator replays) counts players, as the simulator does; counted
 * per request, one game client asking again every 100 ms while a server boots looked like dozens
 * of players, and the fleet launched servers for them. A client waits until it gets a place, or
 * until WAIT_MEMORY_MS pass without it being turned away.
 *
 * A client that does not name itself cannot be told from its neighbours behind the same NAT, so
 * each of its tries still counts: better a server too many for a busy NAT than players left out.
 */
export class WaitingClients {
  /** When each waiting client was last turned away, by keyOf. */
  private readonly lastTurnedAway = new Map<string, number>();
  private sweptAt = 0;

  /** The client `id` at `address` was turned away at `now`: answers whether that begins a wait, so counts as a player. */
  turnedAway(address: string, id: string, now: number): boolean {
    this.sweepNowAndThen(now);
    const key = keyOf(address, id);
    const last = this.lastTurnedAway.get(key);
    this.lastTurnedAway.set(key, now);
    return last === undefined || now - last > WAIT_MEMORY_MS;
  }

  /** The client `id` at `address` got a place: its wait is over, and a later refusal is a new one (its next game). */
  served(address: string, id: string): void {
    // Nobody waits in a fleet with room, the common case: no key to build per allocation.
    if (this.lastTurnedAway.size > 0) this.lastTurnedAway.delete(keyOf(address, id));
  }

  /** Forgets, once per WAIT_MEMORY_MS, the clients that stopped asking: ids that never come back must not pile up. */
  private sweepNowAndThen(now: number): void {
    if (now - this.sweptAt < WAIT_MEMORY_MS) return;
    this.sweptAt = now;
    for (const [key, at] of this.lastTurnedAway) if (now - at > WAIT_MEMORY_MS) this.lastTurnedAway.delete(key);
  }
}

/** An id is visible ASCII without spaces (client-key-of.ts), and an address has none either. */
const keyOf = (address: string, id: string) => `${address} ${id}`;
