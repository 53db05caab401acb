import Denque from 'denque';
import type { ClientKey } from '../domain/client-key';
import type { GameServer, Reservation } from './game-server';

/** A place a client that named itself holds. */
export interface OwnPlace {
  readonly reservation: Reservation;
  readonly server: GameServer;
}

/** The places one client address holds. */
interface Holder {
  /** Its places not yet released (ClientHolds.release): the count the limit reads. */
  held: number;
  /** Its places in the order they were handed out; the released ones leave from the front. */
  readonly queue: Denque<Reservation>;
  /** The last place each client at this address that named itself was handed, and its server. */
  readonly byId: Map<string, OwnPlace>;
}

/**
 * The places each client address holds: handed out to it and not yet released, that is neither
 * seen taken, nor timed out, nor on a server the fleet lost (the registry says so, release). Every
 * question costs a constant time however many places an address holds, as the allocation
 * endpoint must: the count is kept as places come and go, and only the oldest places are looked at.
 */
export class ClientHolds {
  private readonly holders = new Map<string, Holder>();
  private sweptAt = 0;

  constructor(private readonly reservationTimeoutMs: number) {}

  /** `reservation`, on `server`, was handed out to `client` (its holder). */
  add(client: ClientKey, reservation: Reservation, server: GameServer): void {
    let holder = this.holders.get(client.address);
    if (!holder) this.holders.set(client.address, (holder = { held: 0, queue: new Denque(), byId: new Map() }));
    holder.held += 1;
    holder.queue.push(reservation);
    if (client.id !== undefined) holder.byId.set(client.id, { reservation, server });
  }

  /** `reservation` is held no more: taken, timed out, or its server left. Releasing twice is harmless. */
  release(reservation: Reservation): void {
    if (reservation.released) return;
    reservation.released = true;
    const holder = reservation.holder === undefined ? undefined : this.holders.get(reservation.holder);
    if (holder) holder.held -= 1;
  }

  /** How many places `address` holds now, and the oldest of them. */
  of(address: string, now: number): { readonly held: number; readonly oldest?: Reservation } {
    this.sweepNowAndThen(now);
    const holder = this.holders.get(address);
    if (!holder) return { held: 0 };
    const oldest = this.dropReleased(holder, now);
    return { held: holder.held, oldest };
  }

  /** The place the client at `address` that calls itself `id` holds, if it holds one. */
  ownOf(address: string, id: string, now: number): OwnPlace | undefined {
    const own = this.holders.get(address)?.byId.get(id);
    if (!own || own.reservation.released || this.timedOut(own.reservation, now)) return undefined;
    return own;
  }

  /** Every address that holds places now, with how many. */
  counts(now: number): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [address, holder] of this.holders) {
      this.dropReleased(holder, now);
      if (holder.held > 0) counts.set(address, holder.held);
    }
    return counts;
  }

  /**
   * Releases the timed-out places at the front of the queue (the registry drops a server's
   * timed-out reservations only when it next looks at that server) and drops the released ones
   * there; answers the oldest place still held.
   */
  private dropReleased(holder: Holder, now: number): Reservation | undefined {
    const { queue } = holder;
    for (let oldest = queue.peekFront(); oldest && (oldest.released || this.timedOut(oldest, now)); oldest = queue.peekFront()) this.release(queue.shift() as Reservation);
    return queue.peekFront();
  }

  /** Forgets, once per reservation timeout, the addresses that hold nothing any more: addresses that never ask again must not pile up. */
  private sweepNowAndThen(now: number): void {
    if (now - this.sweptAt < this.reservationTimeoutMs) return;
    this.sweptAt = now;
    for (const [address, holder] of this.holders) {
      this.dropReleased(holder, now);
      if (holder.queue.isEmpty()) this.holders.delete(address);
      else for (const [id, own] of holder.byId) if (own.reservation.released) holder.byId.delete(id);
    }
  }

  private timedOut(reservation: Reservation, now: number): boolean {
    return reservation.at <= now - this.reservationTimeoutMs;
  }
}
