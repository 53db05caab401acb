import { ServerState } from '../fleet/server-state';
import { LaunchFailures } from './fleet-snapshot';
import { ScalingDecision } from './scaling-action';

/** One policy decision as operators see it: when, what the policy saw, and what it did and why. */
export interface DecisionRecord {
  readonly at: string;
  readonly serversByState: Readonly<Record<ServerState, number>>;
  readonly launchFailures: LaunchFailures;
  /** Players turned away since the previous pass. */
  readonly unmetDemand: number;
  readonly decision: ScalingDecision;
}
