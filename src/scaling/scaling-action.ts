/** Why a server is stopped: the policy's reasons, or an operator's request (forced: even with players). */
export type StopReason = 'drained' | 'unhealthy' | 'launch-timeout' | 'drain-timeout' | 'operator' | 'forced';

export type ScalingAction =
  | { readonly kind: 'launch'; readonly count: number; readonly reason: string }
  | { readonly kind: 'reactivate'; readonly serverId: string; readonly reason: string }
  | { readonly kind: 'drain'; readonly serverId: string; readonly reason: string }
  | { readonly kind: 'stop'; readonly serverId: string; readonly reason: StopReason };

export type ScalingActionKind = ScalingAction['kind'];

/** The policy's answer: the actions, and the figures it based them on, for logs and operators. */
export interface ScalingDecision {
  readonly actions: readonly ScalingAction[];
  /** Free capacity as the pass found it, before its actions. */
  readonly freeCapacityBefore: number;
  /** Free places of ready servers after reservations, plus the expected places of launching ones, after this pass's actions. */
  readonly freeCapacity: number;
  readonly readyServers: number;
  readonly launchingServers: number;
  /** Why a needed launch did not happen (limits, back-off), if one was held back. */
  readonly heldBack?: string;
}
