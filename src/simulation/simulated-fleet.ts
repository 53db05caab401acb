import { ServerView } from '../domain/fleet-snapshot';

/** One simulated game server. Players connect at once, so no place stays reserved past a probe. */
export interface SimulatedServer {
  readonly id: string;
  readonly launchedAt: number;
  /** When the server answers its health endpoint; it is launching until a pass probes it after that. */
  readonly upAt: number;
  healthy: boolean;
  draining: boolean;
  drainingSince?: number;
  players: number;
  /** Set when the server is gone; its players' departures are then ignored. */
  stopped: boolean;
}

/**
 * The fleet as the simulator holds it: servers, their players, and the manager's rules for
 * them that are not the policy's: allocation to the fullest ready server with room (as
 * FleetRegistry.allocate), a server taking players only once a probe has seen it healthy.
 */
export class SimulatedFleet {
  private readonly servers: SimulatedServer[] = [];
  private launched = 0;

  constructor(readonly capacity: number) {}

  launch(now: number, bootMs: number): SimulatedServer {
    this.launched += 1;
    const server: SimulatedServer = {
      id: `gs-${String(this.launched).padStart(4, '0')}`,
      launchedAt: now,
      upAt: now + bootMs,
      healthy: false,
      draining: false,
      players: 0,
      stopped: false,
    };
    this.servers.push(server);
    return server;
  }

  /** A server that was running before the simulation began. */
  addReady(now: number): SimulatedServer {
    const server = this.launch(now, 0);
    server.healthy = true;
    return server;
  }

  get(id: string): SimulatedServer | undefined {
    return this.servers.find((server) => server.id === id);
  }

  remove(server: SimulatedServer): void {
    server.stopped = true;
    this.servers.splice(this.servers.indexOf(server), 1);
  }

  /** The pass's probes: servers that are up by now become healthy. Answers those that did. */
  probe(now: number): SimulatedServer[] {
    const cameUp: SimulatedServer[] = [];
    for (const server of this.servers) {
      if (!server.healthy && server.upAt <= now) {
        server.healthy = true;
        cameUp.push(server);
      }
    }
    return cameUp;
  }

  /** Fills the fullest ready server that still has room; ties go to the older server. */
  allocate(): SimulatedServer | undefined {
    let best: SimulatedServer | undefined;
    for (const server of this.servers) {
      if (!this.isReady(server)) continue;
      const free = this.capacity - server.players;
      if (free > 0 && (!best || free < this.capacity - best.players)) best = server;
    }
    if (best) best.players += 1;
    return best;
  }

  setDraining(server: SimulatedServer, draining: boolean, now: number): void {
    server.draining = draining;
    server.drainingSince = draining ? (server.drainingSince ?? now) : undefined;
  }

  snapshot(): ServerView[] {
    return this.servers.map((server) => ({
      id: server.id,
      state: !server.healthy ? 'launching' : server.draining ? 'draining' : 'ready',
      free: server.healthy ? this.capacity - server.players : 0,
      reserved: 0,
      readyToClose: server.healthy && server.players === 0,
      consecutiveFailures: 0,
      launchedAt: server.launchedAt,
      drainingSince: server.drainingSince,
    }));
  }

  /** The figures the simulator measures and plots, counted in one scan. */
  census(): FleetCensus {
    const census = { servers: this.servers.length, launching: 0, draining: 0, players: 0, places: 0, free: 0 };
    for (const server of this.servers) {
      census.players += server.players;
      if (!server.healthy) census.launching += 1;
      else {
        census.places += this.capacity;
        if (server.draining) census.draining += 1;
        else census.free += this.capacity - server.players;
      }
    }
    return census;
  }

  private isReady(server: SimulatedServer): boolean {
    return server.healthy && !server.draining;
  }
}

export interface FleetCensus {
  /** Every server, launching and draining ones included: what is paid for. */
  readonly servers: number;
  readonly launching: number;
  readonly draining: number;
  readonly players: number;
  /** Places on servers that are up (ready or draining). */
  readonly places: number;
  /** Places a new player can get: free places on ready servers. */
  readonly free: number;
}
