import { ServerState } from '../fleet/server-state';

/** What the policy knows of one server at the start of a pass. */
export interface ServerView {
  readonly id: string;
  readonly state: ServerState;
  /** Places a player can still take: the last report less the places reserved on it, never below 0. */
  readonly free: number;
  /** Places handed out that the server's report does not show taken yet. */
  readonly reserved: number;
  readonly readyToClose: boolean;
  readonly consecutiveFailures: number;
  readonly launchedAt: number;
  readonly drainingSince?: number;
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
}

export interface PolicySettings {
  readonly upscaleMargin: number;
  readonly downscaleMargin: number;
  readonly serverCapacity: number;
  readonly minServers: number;
  readonly maxServers: number;
  readonly maxLaunchesInFlight: number;
  readonly unhealthyThreshold: number;
  readonly launchTimeoutMs: number;
  /** 0: a draining server waits for its last player however long that takes. */
  readonly drainTimeoutMs: number;
  readonly launchBackoffBaseMs: number;
  readonly launchBackoffMaxMs: number;
}
