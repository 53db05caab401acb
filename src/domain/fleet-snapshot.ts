import { ServerState } from './server-state';
import type { ProbeOutage } from './scaling-action';

/** What the policy knows of one server at the start of a pass. */
export interface ServerView {
  readonly id: string;
  readonly state: ServerState;
  /** Places a player can still take: the last report less the places reserved on it, never below 0. */
  readonly free: number;
  /** Places handed out that the server's report does not show taken yet. */
  readonly reserved: number;
  /** ready_to_close of the last good report; false for a server adopted before its first probe (it may have players). */
  readonly readyToClose: boolean;
  readonly consecutiveFailures: number;
  readonly launchedAt: number;
  /** The last good report (or, for an adopted server not probed yet, its adoption); absent while launching. */
  readonly lastHealthyAt?: number;
  readonly drainingSince?: number;
  /** Runs an older version of the game server than launches use now: a rollout drains it. */
  readonly outdated?: boolean;
}

export interface LaunchFailures {
  /** Launches in a row that failed or never became healthy; 0 after a launch succeeds. */
  readonly consecutive: number;
  readonly lastAt?: number;
}

/** The policy's whole input besides its settings: a pure function of this is easy to test and to simulate. */
export interface FleetSnapshot {
  readonly now: number;
  readonly servers: readonly ServerView[];
  readonly launchFailures: LaunchFailures;
  /**
   * Players turned away (no server had room) since the previous pass. Free capacity never goes
   * below 0, so without this a fleet that is already full would look merely "at 0 free".
   */
  readonly unmetDemand: number;
  /** The probe outage in effect after the previous pass, if any. */
  readonly probeOutage?: ProbeOutage;
  /** When the last probe outage ended: the grace of failing servers with players counts from then too. */
  readonly probeOutageEndedAt?: number;
}

export interface PolicySettings {
  readonly upscaleMargin: number;
  readonly downscaleMargin: number;
  readonly serverCapacity: number;
  readonly minServers: number;
  readonly maxServers: number;
  readonly maxLaunchesInFlight: number;
  readonly unhealthyThreshold: number;
  /** How long a server whose last good report showed players is kept while its probes fail. */
  readonly unhealthyPlayerGraceMs: number;
  /**
   * The share of the servers that were healthy which, failing their probes at once, makes the
   * manager suspect itself (its network, its event loop) rather than the servers; 1 turns it off.
   */
  readonly probeOutageThreshold: number;
  readonly launchTimeoutMs: number;
  /** 0: a draining server waits for its last player however long that takes. */
  readonly drainTimeoutMs: number;
  readonly launchBackoffBaseMs: number;
  readonly launchBackoffMaxMs: number;
  /** Outdated servers a rollout drains at once; 0: none (they leave only as the margins drain servers). */
  readonly rolloutMaxDraining: number;
}
