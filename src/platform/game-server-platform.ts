/** Identifiers of the server on its platform (pid and port, task and instance ARNs, ...). */
export type PlatformIds = Readonly<Record<string, string>>;

/** A server as its platform knows it: enough to rebuild the fleet after a restart. */
export interface PlatformServer {
  readonly id: string;
  /** host:port handed to game clients. */
  readonly address: string;
  /** host:port the manager probes. */
  readonly probeAddress: string;
  /** When the server began draining (kept by the platform, so that DRAIN_TIMEOUT survives a restart); absent if it is not draining. */
  readonly drainingSince?: number;
  /** What it runs (a task definition revision, a command), for operators. */
  readonly version: string;
  /** It runs another version than launches use now: a rollout replaces it. */
  readonly outdated: boolean;
  readonly platformIds: PlatformIds;
}

/** A server the platform runs that the manager cannot adopt (no address it can resolve), and why. */
export interface UnadoptedServer {
  readonly id: string;
  readonly reason: string;
}

/** What a resync found. */
export interface PlatformListing {
  /** The servers that can be adopted: running, with an address. */
  readonly servers: PlatformServer[];
  /**
   * The id of every server the platform still runs, whether it can be adopted or not; absent when
   * the listing may be incomplete (the platform missed some), and then no server counts as gone.
   */
  readonly running?: ReadonlySet<string>;
}

export interface LaunchRequest {
  /** Chosen by the manager, so the server keeps one id from launch to stop and across restarts. */
  readonly id: string;
  readonly capacity: number;
}

/** Just what the platform needs to find a server it started. */
export interface ServerRef {
  readonly id: string;
  readonly platformIds: PlatformIds;
}

/**
 * The one port between the fleet and where game servers run. The platform is the source of
 * truth: whatever the manager must remember across a restart (draining, ids) it stores here.
 */
export interface GameServerPlatform {
  readonly name: string;
  /**
   * At start-up: every server this platform runs for the fleet, adopted ones included. What an
   * earlier manager left half-done (a launch it never finished) is cleaned up.
   */
  discover(): Promise<PlatformServer[]>;
  /**
   * Later, beside the passes: the servers the platform runs now. Touches nothing that may be a
   * launch in flight (this manager's or another's); sweeps only what is provably abandoned.
   */
  resync(): Promise<PlatformListing>;
  /** What the last discovery or resync found running but could not adopt: left alone, shown to operators. */
  unadopted(): readonly UnadoptedServer[];
  /** Starts a server; resolves once it has an address (it may not answer its health endpoint yet). */
  launch(request: LaunchRequest): Promise<PlatformServer>;
  /** Ends a server and everything it was running on. A server already gone is not an error. */
  stop(server: ServerRef): Promise<void>;
  /** Records that the server drains since `since`, or, with undefined, that it takes players again. */
  setDraining(server: ServerRef, since: number | undefined): Promise<void>;
  /** Cheap check that the platform answers, for readiness. */
  ping(): Promise<void>;
}

export const GAME_SERVER_PLATFORM = Symbol('GameServerPlatform');
/** The platform's own module provides its implementation under this token, before it is instrumented. */
export const CHOSEN_PLATFORM = Symbol('ChosenPlatform');
