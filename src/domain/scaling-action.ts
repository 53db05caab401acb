/** Why a server is stopped: the policy's reasons, or an operator's request (forced: even with players). */
export type StopReason = 'drained' | 'unhealthy' | 'launch-timeout' | 'drain-timeout' | 'operator' | 'forced';

export type ScalingAction =
  | { readonly kind: 'launch'; readonly count: number; readonly reason: string }
  | { readonly kind: 'reactivate'; readonly serverId: string; readonly reason: string }
  | { readonly kind: 'drain'; readonly serverId: string; readonly reason: string }
  | { readonly kind: 'stop'; readonly serverId: string; readonly reason: StopReason };

export type ScalingActionKind = ScalingAction['kind'];

export type ActionOrigin = 'policy' | 'operator';

/** Why a launch or a drain that the margins called for did not happen. */
export type HoldReason = 'launch-backoff' | 'max-servers' | 'launches-in-flight' | 'probe-outage';

export interface HeldBack {
  readonly by: HoldReason;
  /** The figures behind it, for people. */
  readonly detail: string;
}

/** Too many of the servers that were healthy fail their probes at once: the fault is probably the manager's. */
export interface ProbeOutage {
  /** The servers that failed together, as far as they still exist; the outage lasts while most of them fail. */
  readonly serverIds: readonly string[];
  /** How many of them fail now. */
  readonly failing: number;
  /** The servers that were healthy when it began (serverIds among them), or, later, those of serverIds that still exist. */
  readonly of: number;
}

/** The policy's answer: the actions, and the figures it based them on, for logs and operators. */
export interface ScalingDecision {
  readonly actions: readonly ScalingAction[];
  /** Free capacity as the pass found it, before its actions. */
  readonly freeCapacityBefore: number;
  /** Free places of ready servers after reservations, plus the expected places of launching ones, after this pass's actions. */
  readonly freeCapacity: number;
  readonly readyServers: number;
  readonly launchingServers: number;
  /** Why a needed launch (or a drain) did not happen, if one was held back. */
  readonly heldBack?: HeldBack;
  /** Present while the manager suspects its own probes: it then stops nothing for failed probes and launches nothing. */
  readonly probeOutage?: ProbeOutage;
}
