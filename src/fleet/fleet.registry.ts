import { Injectable } from '@nestjs/common';
import { Settings } from '../config/settings';
import { PlatformListing, PlatformServer } from '../platform/game-server-platform';
import { ServerView } from '../domain/fleet-snapshot';
import { ClientKey } from '../domain/client-key';
import { ClientHolds } from './client-holds';
import Denque from 'denque';
import { GameServer, PlatformRefusal, Reservation, stateOf } from './game-server';
import { HealthReport, ProbeResult } from './health-report';
import { WaitingClients } from './waiting-clients';
import { ServerState } from '../domain/server-state';

export interface StateChange {
  readonly from: ServerState;
  readonly to: ServerState;
}

function changeOf(server: GameServer, from: ServerState): StateChange | undefined {
  const to = stateOf(server);
  return to === from ? undefined : { from, to };
}

/** The fleet as it stood when a resync asked the platform. */
export interface ResyncListing {
  /** Servers that ran then (established, not being stopped). */
  readonly running: ReadonlySet<string>;
}

export interface Allocation {
  readonly serverId: string;
  readonly address: string;
}

/** How long the choice of a scan of the fleet serves allocations at most (see allocate). */
const RESCAN_MS = 100;

/** A scan of the fleet for allocation: the server to fill, and the totals the caller needs. */
interface AllocationScan {
  readonly at: number;
  readonly target?: GameServer;
  freeLeft: number;
  readonly launching: number;
  readonly firstLaunchedAt?: number;
}

/** What a client holds already (ClientHolds). */
export interface ClientHolding {
  /** Places its address holds. */
  readonly held: number;
  /** When the oldest of them was handed out; undefined with none. */
  readonly oldestAt?: number;
  /** The place this very client (same address and id) holds on a server that still takes players. */
  readonly again?: Allocation;
}

export interface AllocationResult {
  readonly allocation?: Allocation;
  /** Free places left on ready servers after this allocation. */
  readonly freeLeft: number;
  readonly launching: number;
  /** When the launching server that started first was launched; undefined with none launching. */
  readonly firstLaunchedAt?: number;
}

/**
 * Every game server of the fleet and its state: the one place that knows them. Everything here is
 * synchronous, so an allocation can never interleave with another allocation or a probe result:
 * that is what keeps the places handed out within what servers reported.
 */
export interface DemandCounts {
  readonly handedOut: number;
  /**
   * Of the places handed out, those to clients whose wait was counted in an earlier `turnedAway`:
   * the same players, whose demand now shows in the places in use.
   */
  readonly waitsServed: number;
  /** Players turned away whose wait began: new demand (the adaptive margin's history, the demand record). */
  readonly turnedAway: number;
  /** Players turned away, each once, though some may have waited since an earlier pass: the policy's unmet demand. */
  readonly unmet: number;
}

@Injectable()
export class FleetRegistry {
  private readonly servers = new Map<string, GameServer>();
  private readonly reservationTimeoutMs: number;
  private rebuiltAt?: number;
  private turnedAway = 0;
  private unmet = 0;
  private handedOut = 0;
  private waitsServed = 0;
  private lastScan?: AllocationScan;
  /** Servers the reconciler removed since the last resync began: the platform's answer may still show them. */
  private readonly removedSinceResync = new Set<string>();
  private readonly holds: ClientHolds;
  private readonly waiting = new WaitingClients();

  constructor(settings: Settings) {
    this.reservationTimeoutMs = settings.RESERVATION_TIMEOUT * 1000;
    this.holds = new ClientHolds(this.reservationTimeoutMs);
  }

  /**
   * Replaces the fleet with what the platform reports, as at start-up. The platform runs these
   * servers, so they are no launches: each is probed like any other from the first pass on, and is
   * never stopped as a launch that timed out. Until a report says otherwise each may have players
   * (the grace for failing servers with players applies), and offers no place.
   */
  rebuild(found: readonly PlatformServer[], now: number): void {
    for (const server of this.servers.values()) this.releaseAll(server);
    this.servers.clear();
    for (const server of found) this.adopt(server, now);
    this.rebuiltAt = now;
    this.forgetScan();
  }

  /**
   * Aligns the fleet with what the platform runs now (a resync): a running server the platform no
   * longer has was stopped by someone else, or died with its host, and leaves; a server it runs
   * that the fleet does not know is adopted, as at start-up. Launches and stops under way are the
   * reconciler's and are left to it.
   */
  resync(found: PlatformListing, before: ResyncListing, now: number): { readonly gone: string[]; readonly adopted: string[] } {
    const { running } = found;
    // Only what was already running when the platform was asked (a launch that finished while it
    // answered is not in its answer), and only from a complete answer: a server the platform
    // merely failed to see, or cannot give an address, still runs.
    const gone = running
      ? [...before.running].filter((id) => {
          const server = this.servers.get(id);
          return server !== undefined && !server.stopping && !running.has(id);
        })
      : [];
    for (const id of gone) this.delete(id);
    // What launches use may have changed since (a new revision registered): known servers learn it.
    for (const server of found.servers) {
      const known = this.servers.get(server.id);
      if (known && known.everHealthy) known.outdated = server.outdated;
    }
    // A server stopped while the platform answered may still be in its answer.
    const adopted = found.servers.filter((server) => !this.servers.has(server.id) && !this.removedSinceResync.has(server.id));
    for (const server of adopted) this.adopt(server, now);
    if (gone.length > 0 || adopted.length > 0) this.forgetScan();
    return { gone, adopted: adopted.map((server) => server.id) };
  }

  get isRebuilt(): boolean {
    return this.rebuiltAt !== undefined;
  }

  /** A server whose launch has begun; it counts as coming capacity from now on. */
  addLaunching(id: string, now: number): void {
    this.servers.set(id, this.newServer(id, now));
    this.forgetScan();
  }

  /** The platform has placed a launching server: from now on it has an address to probe. */
  placed(server: PlatformServer): void {
    const record = this.servers.get(server.id);
    if (record) this.place(record, server);
  }

  remove(id: string): void {
    this.delete(id);
    this.removedSinceResync.add(id);
    this.forgetScan();
  }

  /** What a resync needs to know before it asks the platform: which servers ran then. */
  beginResync(): ResyncListing {
    this.removedSinceResync.clear();
    return { running: new Set(this.all().filter((server) => server.everHealthy && !server.stopping).map((server) => server.id)) };
  }

  get(id: string): GameServer | undefined {
    return this.servers.get(id);
  }

  all(): GameServer[] {
    return [...this.servers.values()];
  }

  get size(): number {
    return this.servers.size;
  }

  setStopping(id: string, stopping: boolean): void {
    const server = this.servers.get(id);
    if (server) server.stopping = stopping;
    this.forgetScan();
  }

  /** The platform refused an action on the server: kept for operators to see (PlatformRefusal). */
  refused(id: string, refusal: PlatformRefusal): void {
    const server = this.servers.get(id);
    if (server) server.lastRefusal = refusal;
  }

  setDraining(id: string, draining: boolean, now: number): void {
    const server = this.servers.get(id);
    if (!server) return;
    server.draining = draining;
    server.drainingSince = draining ? (server.drainingSince ?? now) : undefined;
    this.forgetScan();
  }

  /** Servers with an address that are not being stopped. */
  probeTargets(): (GameServer & { probeAddress: string })[] {
    return this.all().filter((s): s is GameServer & { probeAddress: string } => s.probeAddress !== undefined && !s.stopping);
  }

  /** Applies one probe's result; answers the state change it caused, if any. A probe never sent teaches nothing. */
  recordProbe(id: string, result: ProbeResult, now: number): StateChange | undefined {
    const server = this.servers.get(id);
    if (!server || (!result.ok && result.unsent)) return undefined;
    const from = stateOf(server);
    server.lastProbeAt = now;
    if (result.ok) {
      this.recordReport(server, result.report, now);
    } else if (server.everHealthy) {
      // A launching server that does not answer yet is not failing: its launch timeout covers it.
      server.consecutiveFailures += 1;
    }
    const change = changeOf(server, from);
    // A server that changed state, or room in a fleet that had none, changes what allocation picks.
    if (change || (result.ok && !this.lastScan?.target)) this.forgetScan();
    return change;
  }

  /**
   * Hands out one place on a ready server and reserves it. Fills the fullest server that still has
   * room, so that emptier servers can drain and the fleet stays small. Also answers the places left
   * and the servers launching, so the caller can tell the fleet is running low.
   *
   * Choosing takes a scan of the whole fleet, too slow to repeat per request with thousands of
   * servers, so a scan's choice serves the allocations after it: until its server has no room
   * left, or for RESCAN_MS. Each place is still checked against the server's own free places, so
   * a server never gets more players than it has room for; only "fullest" may be RESCAN_MS old.
   *
   * A place handed out to a `client` counts among the places it holds (holdingOf) until taken.
   * A client that named itself and is turned away again while it waits is one player turned
   * away, counted once in the demand and once a pass in the unmet demand (WaitingClients).
   */
  allocate(now: number, client?: ClientKey): AllocationResult {
    let scan = this.lastScan;
    if (!scan || now - scan.at >= RESCAN_MS || (scan.target && !this.hasRoom(scan.target, now))) scan = this.lastScan = this.scan(now);
    const { target } = scan;
    if (!target?.address) {
      const refusal = this.waiting.turnedAway(client, now);
      if (refusal.began) this.turnedAway += 1;
      if (refusal.firstInRound) this.unmet += 1;
      return { freeLeft: scan.freeLeft, launching: scan.launching, firstLaunchedAt: scan.firstLaunchedAt };
    }
    // Every reservation has the same fields from the start, holder or none: one shape for V8 on the hot path.
    const reservation: Reservation = { at: now, released: false, holder: client?.address };
    target.reservations.push(reservation);
    target.readyToClose = false;
    if (client) this.holds.add(client, reservation, target);
    if (this.waiting.served(client, now)) this.waitsServed += 1;
    this.handedOut += 1;
    scan.freeLeft -= 1;
    return { allocation: { serverId: target.id, address: target.address }, freeLeft: scan.freeLeft, launching: scan.launching };
  }

  /** The places `client`'s address holds, and the one this very client holds if it named itself. */
  holdingOf(client: ClientKey, now: number): ClientHolding {
    const { held, oldest } = this.holds.of(client.address, now);
    if (held === 0) return { held };
    const own = client.id === undefined ? undefined : this.holds.ownOf(client.address, client.id, now);
    // Its place again only on a server that still takes players: one that drains or fails does not
    // (one that left the fleet released its places, so ownOf found none).
    const again = own && stateOf(own.server) === 'ready' && own.server.address !== undefined;
    return { held, oldestAt: oldest?.at, again: again ? { serverId: own.server.id, address: own.server.address as string } : undefined };
  }

  /** Places held by each client address that holds any. */
  heldByClient(now: number): Map<string, number> {
    return this.holds.counts(now);
  }

  /** Places handed out, and players turned away, since the last call: one round of demand, a pass's. */
  takeDemand(): DemandCounts {
    const counts = { handedOut: this.handedOut, waitsServed: this.waitsServed, turnedAway: this.turnedAway, unmet: this.unmet };
    this.handedOut = 0;
    this.waitsServed = 0;
    this.turnedAway = 0;
    this.unmet = 0;
    this.waiting.nextRound();
    return counts;
  }

  /** Addresses of the servers that take players now. */
  acceptingAddresses(): string[] {
    // An adopted server is ready before its first probe, but says what it can take only then.
    return this.all()
      .filter((server) => stateOf(server) === 'ready' && server.address !== undefined && server.lastProbeAt !== undefined)
      .map((server) => server.address as string);
  }

  freeOf(server: GameServer, now: number): number {
    this.expireReservations(server, now);
    return Math.max(0, server.reportedCapacity - server.reservations.length);
  }

  stateOf(id: string): ServerState | undefined {
    const server = this.servers.get(id);
    return server && stateOf(server);
  }

  snapshot(now: number): ServerView[] {
    return this.all().map((server) => ({
      id: server.id,
      state: stateOf(server),
      free: this.freeOf(server, now),
      reserved: server.reservations.length,
      readyToClose: server.readyToClose,
      consecutiveFailures: server.consecutiveFailures,
      launchedAt: server.launchedAt,
      lastHealthyAt: server.lastHealthyAt,
      drainingSince: server.drainingSince,
      outdated: server.outdated,
    }));
  }

  private recordReport(server: GameServer, report: HealthReport, now: number): void {
    this.expireReservations(server, now);
    const taken = server.reportedCapacity - report.availableCapacity;
    // Capacity that fell means players arrived: those are the places handed out longest ago.
    if (server.everHealthy) for (let left = taken; left > 0 && !server.reservations.isEmpty(); left--) this.holds.release(server.reservations.shift() as Reservation);
    server.reportedCapacity = report.availableCapacity;
    server.readyToClose = report.readyToClose;
    server.everHealthy = true;
    server.consecutiveFailures = 0;
    server.lastHealthyAt = now;
  }

  /** The fleet changed in a way that may change what allocation picks. */
  private forgetScan(): void {
    this.lastScan = undefined;
  }

  private hasRoom(server: GameServer, now: number): boolean {
    return this.servers.get(server.id) === server && stateOf(server) === 'ready' && server.address !== undefined && this.freeOf(server, now) > 0;
  }

  private scan(now: number): AllocationScan {
    let target: GameServer | undefined;
    let targetFree = Infinity;
    let freeLeft = 0;
    let launching = 0;
    let firstLaunchedAt: number | undefined;
    for (const server of this.servers.values()) {
      const state = stateOf(server);
      if (state === 'launching') {
        launching += 1;
        firstLaunchedAt = Math.min(firstLaunchedAt ?? Infinity, server.launchedAt);
      }
      if (state !== 'ready' || server.address === undefined) continue;
      const free = this.freeOf(server, now);
      freeLeft += free;
      if (free > 0 && free < targetFree) {
        target = server;
        targetFree = free;
      }
    }
    return { at: now, target, freeLeft, launching, firstLaunchedAt };
  }

  private expireReservations(server: GameServer, now: number): void {
    const cutoff = now - this.reservationTimeoutMs;
    const { reservations } = server;
    for (let oldest = reservations.peekFront(); oldest && oldest.at <= cutoff; oldest = reservations.peekFront()) this.holds.release(reservations.shift() as Reservation);
  }

  /** A server leaves the fleet: the places handed out on it are held by nobody any more. */
  private delete(id: string): void {
    const server = this.servers.get(id);
    if (server) this.releaseAll(server);
    this.servers.delete(id);
  }

  private releaseAll(server: GameServer): void {
    for (const reservation of server.reservations.toArray()) this.holds.release(reservation);
  }

  private adopt(server: PlatformServer, now: number): void {
    const record = this.newServer(server.id, now);
    this.place(record, server);
    record.everHealthy = true;
    record.lastHealthyAt = now;
    record.draining = server.drainingSince !== undefined;
    record.drainingSince = server.drainingSince;
    this.servers.set(server.id, record);
  }

  private newServer(id: string, now: number): GameServer {
    return {
      id,
      platformIds: {},
      launchedAt: now,
      everHealthy: false,
      draining: false,
      stopping: false,
      reportedCapacity: 0,
      readyToClose: false,
      reservations: new Denque(),
      consecutiveFailures: 0,
      outdated: false,
    };
  }

  private place(record: GameServer, server: PlatformServer): void {
    record.address = server.address;
    record.probeAddress = server.probeAddress;
    record.platformIds = server.platformIds;
    record.version = server.version;
    record.outdated = server.outdated;
  }
}
