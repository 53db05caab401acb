import { combineReports } from './combined-report';
import { CURRENT_POLICY, LEGACY_POLICY, SimulatedPolicy } from './scaling-policies';
import { BootTime, simulate } from './simulation';
import { managerSettings } from './simulation-settings';
import { SimulationReport } from './simulation-report';
import { Trace } from './trace';

/** One column of a comparison: a policy and the manager settings it runs with, on top of the base ones. */
export interface Configuration {
  readonly label: string;
  readonly policy: SimulatedPolicy;
  readonly env: Readonly<Record<string, string>>;
}

/** What operators weigh before changing production: margins, the fleet's bounds, the launch limit, and the earlier manager. */
export const PRESET_CONFIGURATIONS: readonly Configuration[] = [
  { label: 'current', policy: CURRENT_POLICY, env: {} },
  { label: 'legacy (earlier manager)', policy: LEGACY_POLICY, env: {} },
  { label: 'margins 2/13', policy: CURRENT_POLICY, env: { UPSCALE_MARGIN: '2', DOWNSCALE_MARGIN: '13' } },
  { label: 'margins 10/25', policy: CURRENT_POLICY, env: { UPSCALE_MARGIN: '10', DOWNSCALE_MARGIN: '25' } },
  { label: 'margins 30/45', policy: CURRENT_POLICY, env: { UPSCALE_MARGIN: '30', DOWNSCALE_MARGIN: '45' } },
  { label: 'MIN_SERVERS=3', policy: CURRENT_POLICY, env: { MIN_SERVERS: '3' } },
  { label: 'MAX_SERVERS=20', policy: CURRENT_POLICY, env: { MAX_SERVERS: '20' } },
  { label: 'MAX_LAUNCHES_IN_FLIGHT=1', policy: CURRENT_POLICY, env: { MAX_LAUNCHES_IN_FLIGHT: '1' } },
  { label: 'MAX_LAUNCHES_IN_FLIGHT=20', policy: CURRENT_POLICY, env: { MAX_LAUNCHES_IN_FLIGHT: '20' } },
];

/** The current and the earlier manager's policy on the same settings: the table in docs/scaling.md. */
export const CURRENT_VS_LEGACY: readonly Configuration[] = PRESET_CONFIGURATIONS.slice(0, 2);

export interface ComparisonBase {
  /** Manager settings every configuration starts from. */
  readonly env: Readonly<Record<string, string>>;
  readonly boot: BootTime;
  /** Each configuration runs once per seed; a row adds them up (combineReports). */
  readonly seeds: readonly number[];
}

export interface ComparisonRow {
  readonly label: string;
  readonly report: SimulationReport;
}

/** Every configuration on the same trace and seeds, so they face the very same players. */
export function compareOnTrace(trace: Trace, configurations: readonly Configuration[], base: ComparisonBase): ComparisonRow[] {
  return configurations.map((configuration) => {
    const manager = managerSettings({ ...base.env, ...configuration.env });
    const reports = base.seeds.map((seed) => simulate(trace, { ...manager, boot: base.boot, seed, policy: configuration.policy }).report);
    return { label: configuration.label, report: combineReports(reports) };
  });
}
