import { parseArgs } from 'node:util';
import { Configuration, CURRENT_VS_LEGACY, PRESET_CONFIGURATIONS } from './comparison';
import { TableFormat } from './report-format';
import { POLICIES, SimulatedPolicy } from './scaling-policies';
import { BootTime, ECS_EC2_BOOT } from './simulation';
import { SIMULATED_SETTINGS } from './simulation-settings';
import { DEFAULT_SESSION, SessionLength } from './trace';

export const USAGE = `Usage:
  npm run simulate -- <trace> [options]              one run: report, and a plot with --plot
  npm run simulate -- --compare [<trace>...] [options]  configurations side by side (all bundled traces if none given)
  npm run simulate -- --list                         the bundled traces

<trace> is a bundled trace name (steady-ramp, spike, daily-cycle, slow-drain) or a .json or .csv file.

Options:
  --seed N               random seed (default 1); the same seed gives the same report
  --seeds A-B            with --compare: run every configuration once per seed from A to B, and add them up
  --set KEY=VALUE        a manager setting, repeatable: ${SIMULATED_SETTINGS.join(', ')}
  --env-file PATH        manager settings from a .env file (--set wins)
  --policy NAME          current (default) or legacy (the earlier manager)
  --boot MIN-MAX         seconds a launched server takes to come up, uniform (default ${ECS_EC2_BOOT.minSeconds}-${ECS_EC2_BOOT.maxSeconds}, ECS on EC2)
  --session-minutes M    mean session length for CSV traces (default ${DEFAULT_SESSION.meanMinutes})
  --session-spread S     sessions vary uniformly by +-S of the mean for CSV traces (default ${DEFAULT_SESSION.spread})
  --plot FILE.svg        write an SVG of players, capacity, free places and servers over time
  --json                 print the report (or the comparison) as JSON
  --compare              run every configuration of the comparison on each trace
  --config SPEC          a configuration to compare, repeatable: "label: KEY=VALUE,KEY=VALUE" (POLICY=legacy allowed);
                         with --config the comparison is current, legacy and yours, else a preset list
  --current-vs-legacy    compare only the current policy and the earlier manager's
  --cheapest-fixed LABEL with --compare: add the cheapest fixed margins that fail no more players than LABEL
  --markdown             print comparison tables as Markdown
  --help                 this text`;

export type SimulateCommand = 'run' | 'compare' | 'list' | 'help';

export interface SimulateOptions {
  readonly command: SimulateCommand;
  readonly traces: readonly string[];
  readonly seed: number;
  /** --seeds, or the one --seed. */
  readonly seeds: readonly number[];
  readonly policy: SimulatedPolicy;
  readonly envFile?: string;
  /** --set, applied over the env file. */
  readonly set: Readonly<Record<string, string>>;
  readonly boot: BootTime;
  readonly csvSession: SessionLength;
  readonly plot?: string;
  readonly json: boolean;
  readonly format: TableFormat;
  readonly configurations: readonly Configuration[];
  /** The label of the configuration the cheapest fixed margins must match. */
  readonly cheapestFixed?: string;
}

export class UsageError extends Error {}

function parseCommandLine(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        seed: { type: 'string', default: '1' },
        seeds: { type: 'string' },
        'cheapest-fixed': { type: 'string' },
        set: { type: 'string', multiple: true, default: [] },
        'env-file': { type: 'string' },
        policy: { type: 'string', default: 'current' },
        boot: { type: 'string', default: `${ECS_EC2_BOOT.minSeconds}-${ECS_EC2_BOOT.maxSeconds}` },
        'session-minutes': { type: 'string', default: String(DEFAULT_SESSION.meanMinutes) },
        'session-spread': { type: 'string', default: String(DEFAULT_SESSION.spread) },
        plot: { type: 'string' },
        json: { type: 'boolean', default: false },
        compare: { type: 'boolean', default: false },
        config: { type: 'string', multiple: true, default: [] },
        'current-vs-legacy': { type: 'boolean', default: false },
        markdown: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function parseSimulateArgs(argv: readonly string[]): SimulateOptions {
  const { values: v, positionals } = parseCommandLine(argv);
  const command: SimulateCommand = v.help ? 'help' : v.list ? 'list' : v.compare ? 'compare' : 'run';
  if (command === 'run' && positionals.length !== 1) throw new UsageError('give exactly one trace (or --compare for several)');

  const seed = seedNumber(v.seed as string, '--seed');
  const seeds = v.seeds === undefined ? [seed] : seedRange(v.seeds);
  if (v.seeds !== undefined && command !== 'compare') throw new UsageError('--seeds adds up runs of a comparison: use it with --compare');
  const policy = POLICIES[v.policy as string];
  if (!policy) throw new UsageError(`--policy must be one of: ${Object.keys(POLICIES).join(', ')}`);
  if (v.plot !== undefined && command !== 'run') throw new UsageError('--plot draws one run: give one trace without --compare');

  const userConfigs = (v.config as string[]).map(configuration);
  const configurations = userConfigs.length > 0 ? [...CURRENT_VS_LEGACY, ...userConfigs] : v['current-vs-legacy'] ? CURRENT_VS_LEGACY : PRESET_CONFIGURATIONS;
  const cheapestFixed = v['cheapest-fixed'];
  if (cheapestFixed !== undefined) {
    if (command !== 'compare') throw new UsageError('--cheapest-fixed searches beside a comparison: use it with --compare');
    if (!configurations.some((c) => c.label === cheapestFixed)) {
      throw new UsageError(`--cheapest-fixed: no configuration is labelled "${cheapestFixed}"; there are: ${configurations.map((c) => c.label).join(', ')}`);
    }
  }

  return {
    command,
    traces: positionals,
    seed,
    seeds,
    policy,
    envFile: v['env-file'],
    set: Object.fromEntries((v.set as string[]).map((pair) => setting(pair, '--set'))),
    boot: bootTime(v.boot as string),
    csvSession: {
      distribution: 'uniform',
      meanMinutes: positiveNumber(v['session-minutes'] as string, '--session-minutes'),
      spread: spread(v['session-spread'] as string),
    },
    plot: v.plot,
    json: v.json as boolean,
    format: v.markdown ? 'markdown' : 'text',
    configurations,
    cheapestFixed,
  };
}

function seedNumber(text: string, option: string): number {
  const seed = Number(text);
  if (text.trim() === '' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`${option} must be a whole number from 0 to ${0xffffffff}`);
  return seed;
}

/** "A-B": the seeds from A to B; at most 100 of them, since each is a whole run per configuration. */
function seedRange(text: string): number[] {
  const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  const from = match ? seedNumber(match[1], '--seeds') : NaN;
  const to = match ? seedNumber(match[2], '--seeds') : NaN;
  if (!match || to < from || to - from >= 100) throw new UsageError(`--seeds takes a range of at most 100 seeds such as 1-5, got "${text}"`);
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function setting(pair: string, option: string): [string, string] {
  const match = /^\s*([A-Z_]+)\s*=\s*(.*?)\s*$/.exec(pair);
  if (!match) throw new UsageError(`${option} takes KEY=VALUE, got "${pair}"`);
  if (!(SIMULATED_SETTINGS as readonly string[]).includes(match[1])) {
    throw new UsageError(`${option}: ${match[1]} does not change a simulation; one of: ${SIMULATED_SETTINGS.join(', ')}`);
  }
  return [match[1], match[2]];
}

/** "label: KEY=VALUE,KEY=VALUE"; without a label the settings are the label. */
function configuration(spec: string): Configuration {
  const colon = spec.indexOf(':');
  const label = colon >= 0 ? spec.slice(0, colon).trim() : spec.trim();
  const pairs = (colon >= 0 ? spec.slice(colon + 1) : spec).split(',').filter((pair) => pair.trim() !== '');
  let policy = POLICIES.current;
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const policyMatch = /^\s*POLICY\s*=\s*(\w+)\s*$/.exec(pair);
    if (policyMatch) {
      policy = POLICIES[policyMatch[1]];
      if (!policy) throw new UsageError(`--config: POLICY must be one of: ${Object.keys(POLICIES).join(', ')}`);
      continue;
    }
    const [key, value] = setting(pair, '--config');
    env[key] = value;
  }
  if (label === '') throw new UsageError(`--config needs a label or settings, got "${spec}"`);
  return { label, policy, env };
}

function bootTime(text: string): BootTime {
  const match = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(text.trim());
  const min = match ? Number(match[1]) : NaN;
  const max = match?.[2] !== undefined ? Number(match[2]) : min;
  if (!match || max < min) throw new UsageError(`--boot takes seconds as MIN-MAX (or one number), got "${text}"`);
  return { minSeconds: min, maxSeconds: max };
}

function positiveNumber(text: string, option: string): number {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) throw new UsageError(`${option} must be a number > 0, got "${text}"`);
  return value;
}

function spread(text: string): number {
  const value = Number(text);
  if (!(value >= 0 && value <= 1)) throw new UsageError(`--session-spread must be from 0 to 1, got "${text}"`);
  return value;
}
