import Denque from 'denque';
import { ServerState } from '../domain/server-state';
import { PlatformIds } from '../platform/game-server-platform';

/** One place handed out and not yet seen taken. */
export interface Reservation {
  /** When it was handed out. */
  readonly at: number;
  /** Set once it is held no more: taken, timed out, or its server left (ClientHolds). */
  released: boolean;
  /** The address of the client it was handed out to, when the limits per client keep it (ClientHolds). */
  readonly holder: string | undefined;
}

/** The actions on a server that its platform may refuse, as an operator names them. */
export const REFUSED_ACTIONS = ['stop', 'drain', 'undrain'] as const;
export type RefusedAction = (typeof REFUSED_ACTIONS)[number];

/**
 * An action on a server that its platform refused (ECS denying StopTask, say): the reconciler put
 * the server back as it was, and an operator who was answered 202 sees here why.
 */
export interface PlatformRefusal {
  readonly action: RefusedAction;
  readonly at: number;
  readonly error: string;
}

/** One game server as the registry tracks it. Only the registry changes these records. */
export interface GameServer {
  readonly id: string;
  /** host:port handed to game clients; unknown while the platform is still placing the server. */
  address?: string;
  /** host:port the manager probes (a private address when the manager runs inside the VPC). */
  probeAddress?: string;
  platformIds: PlatformIds;
  /** What it runs, and whether launches now use something else (see PlatformServer). */
  version?: string;
  outdated: boolean;
  /** When this manager began waiting for the server to become healthy (launch, or discovery after a restart). */
  launchedAt: number;
  /** False until the first good health report: the server is still launching. */
  everHealthy: boolean;
  draining: boolean;
  drainingSince?: number;
  stopping: boolean;
  /** available_capacity of the last good health report. */
  reportedCapacity: number;
  /**
   * ready_to_close of the last good health report, until a place is handed out on the server: that
   * player may join after the report, and if the server then stops answering, its place times out
   * (RESERVATION_TIMEOUT) while its game goes on. The next good report says again.
   */
  readyToClose: boolean;
  /**
   * The places handed out since the server's own report last showed players arriving, oldest
   * first. A place stays reserved until the report shows it taken or it times out. A double-ended
   * queue, since places leave from the front: cutting the front of an array copies the rest, a
   * cost per request that grows with the places a server has out (a server of 100,000 places).
   */
  reservations: Denque<Reservation>;
  consecutiveFailures: number;
  lastProbeAt?: number;
  lastHealthyAt?: number;
  /** The last action on it that the platform refused, if any. */
  lastRefusal?: PlatformRefusal;
}

/** Derives the state from the facts, so that no two fields can disagree about it. */
export function stateOf(server: GameServer): ServerState {
  if (server.stopping) return 'stopping';
  if (!server.everHealthy) return 'launching';
  if (server.consecutiveFailures > 0) return 'unhealthy';
  return server.draining ? 'draining' : 'ready';
}
