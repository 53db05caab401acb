import { ServerState } from '../domain/server-state';
import { LaunchFailures } from '../domain/fleet-snapshot';
import { ScalingAction, ScalingDecision } from '../domain/scaling-action';
import { HeldMargins } from '../domain/margins';
import { TuningChange } from './policy-tuning';

/** One policy decision as operators see it: when, what the policy saw, and what it did and why. */
export interface DecisionRecord {
  readonly at: string;
  /**
   * Passes after the first that decided the same (the same actions, the same reason to hold
   * back): counted here rather than recorded again, so that a fleet stuck at MAX_SERVERS or in
   * back-off does not push every other decision out of the record.
   */
  readonly repeats: number;
  /** The last of those passes. */
  readonly lastAt: string;
  readonly serversByState: Readonly<Record<ServerState, number>>;
  readonly launchFailures: LaunchFailures;
  /** Players turned away since the previous pass. */
  readonly unmetDemand: number;
  readonly margins: HeldMargins;
  /** Settings an operator changed since the pass before (PATCH /fleet/settings). */
  readonly settingsChanged?: readonly TuningChange[];
  /** What operators did since the pass before (drain, undrain, stop through the operator API), when. */
  readonly operatorActions?: readonly OperatorAction[];
  readonly decision: ScalingDecision;
}

export interface OperatorAction {
  readonly at: string;
  readonly action: ScalingAction;
}

/** What makes two decisions the same for the record: what they did and what held them back, not the figures. */
export function decisionKey(decision: ScalingDecision): string {
  const actions = decision.actions.map((action) =>
    action.kind === 'launch' ? `launch ${action.count}` : `${action.kind} ${action.serverId}${action.kind === 'stop' ? ` ${action.reason}` : ''}`,
  );
  return JSON.stringify([actions, decision.heldBack?.by, decision.probeOutage !== undefined]);
}
