import { FleetSnapshot, PolicySettings } from '../domain/fleet-snapshot';
import { decideScaling } from '../scaling/margin-policy';
import { ScalingAction } from '../domain/scaling-action';
import { decideLegacyScaling } from './legacy-policy';

/** A policy as the simulator drives it: the decision, and how the loop around it behaves. */
export interface SimulatedPolicy {
  readonly name: string;
  decide(snapshot: FleetSnapshot, settings: PolicySettings): readonly ScalingAction[];
  /** No pass runs while a launch is under way (the earlier manager waited for each server to come up). */
  readonly launchBlocksLoop: boolean;
  /** A pass runs at once when an allocation finds no room or leaves the fleet below the margin (AllocationService). */
  readonly passOnShortage: boolean;
}

/** The policy the manager runs: the very function the Reconciler calls. */
export const CURRENT_POLICY: SimulatedPolicy = {
  name: 'current',
  decide: (snapshot, settings) => decideScaling(snapshot, settings).actions,
  launchBlocksLoop: false,
  passOnShortage: true,
};

export const LEGACY_POLICY: SimulatedPolicy = {
  name: 'legacy',
  decide: decideLegacyScaling,
  launchBlocksLoop: true,
  passOnShortage: false,
};

export const POLICIES: Readonly<Record<string, SimulatedPolicy>> = { current: CURRENT_POLICY, legacy: LEGACY_POLICY };
