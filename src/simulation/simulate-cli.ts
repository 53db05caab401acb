import { readFileSync, writeFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { InvalidSettingsError } from '../config/validate-settings';
import { ComparisonBase, ComparisonRow, compareOnTrace } from './comparison';
import { cheapestFixedMargin } from './margin-search';
import { plotSvg } from './plot';
import { comparisonTable, reportText } from './report-format';
import { parseSimulateArgs, SimulateOptions, UsageError, USAGE } from './simulate-options';
import { simulate, SimulationError } from './simulation';
import { managerSettings, SIMULATED_SETTINGS } from './simulation-settings';
import { bundledTraceNames, loadTrace } from './trace-files';
import { InvalidTraceError, Trace } from './trace';

function main(argv: readonly string[]): number {
  const options = parseSimulateArgs(argv);
  switch (options.command) {
    case 'help':
      console.log(USAGE);
      return 0;
    case 'list':
      for (const name of bundledTraceNames()) console.log(`${name.padEnd(12)}  ${loadTrace(name).description}`);
      return 0;
    case 'compare':
      return compare(options);
    case 'run':
      return run(options);
  }
}

/** The env file's simulated settings, then --set over them: what the configurations start from. */
function baseEnv(options: SimulateOptions): Record<string, string> {
  const fromFile = options.envFile ? parseEnv(readEnvFile(options.envFile)) : {};
  const simulated = Object.entries(fromFile).filter(([key]) => (SIMULATED_SETTINGS as readonly string[]).includes(key));
  return { ...Object.fromEntries(simulated), ...options.set } as Record<string, string>;
}

function readEnvFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--env-file: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

function run(options: SimulateOptions): number {
  const trace = loadTrace(options.traces[0], options.csvSession);
  const manager = managerSettings(baseEnv(options));
  const { settings, sleepTimeSeconds, marginMode } = manager;
  const result = simulate(trace, { ...manager, boot: options.boot, seed: options.seed, policy: options.policy });
  console.log(options.json ? JSON.stringify(result.report, null, 2) : reportText(result.report));
  if (options.plot) {
    const margins = `MARGIN_MODE=${marginMode} UPSCALE_MARGIN=${settings.upscaleMargin} DOWNSCALE_MARGIN=${settings.downscaleMargin} SERVER_CAPACITY=${settings.serverCapacity}`;
    // The earlier manager had no such limits: showing them would suggest they shaped its run.
    const limits = options.policy.launchBlocksLoop
      ? '(no MIN/MAX_SERVERS, one launch at a time)'
      : `MIN_SERVERS=${settings.minServers} MAX_SERVERS=${settings.maxServers} MAX_LAUNCHES_IN_FLIGHT=${settings.maxLaunchesInFlight}`;
    const svg = plotSvg(result.timeline, {
      title: `${trace.name}: ${options.policy.name} policy, ${result.report.failedAllocations} failed allocations`,
      subtitle: [`${margins} ${limits}`, `SLEEP_TIME=${sleepTimeSeconds}, servers up ${options.boot.minSeconds}-${options.boot.maxSeconds} s after launch, seed ${options.seed}`],
      upscaleMargin: settings.upscaleMargin,
      adaptive: marginMode === 'adaptive',
    });
    writeFileSync(options.plot, svg);
    if (!options.json) console.log(`plot written to ${options.plot}`);
  }
  return 0;
}

function compare(options: SimulateOptions): number {
  const names = options.traces.length > 0 ? options.traces : bundledTraceNames();
  const base = { env: baseEnv(options), boot: options.boot, seeds: options.seeds };
  const results = names.map((name) => {
    const trace = loadTrace(name, options.csvSession);
    const rows = compareOnTrace(trace, options.configurations, base);
    return { trace, rows: options.cheapestFixed === undefined ? rows : [...rows, cheapestFixedRow(trace, base, rows, options.cheapestFixed)] };
  });
  if (options.json) {
    console.log(JSON.stringify(results.map(({ trace, rows }) => ({ trace: trace.name, rows })), null, 2));
    return 0;
  }
  const settingsLine = Object.entries(base.env).map(([key, value]) => `${key}=${value}`).join(' ') || 'the manager defaults';
  const seeds = options.seeds.length > 1 ? `seeds ${options.seeds[0]}-${options.seeds[options.seeds.length - 1]} added up` : `seed ${options.seeds[0]}`;
  console.log(`Base settings: ${settingsLine}; boot ${options.boot.minSeconds}-${options.boot.maxSeconds} s; ${seeds}\n`);
  for (const { trace, rows } of results) {
    console.log(options.format === 'markdown' ? `#### ${trace.name}\n\n${trace.description}\n` : `== ${trace.name}: ${trace.description}\n`);
    console.log(comparisonTable(rows, options.format) + '\n');
  }
  return 0;
}

/** The row of the cheapest fixed margins that fail no more players than the row labelled `label`. */
function cheapestFixedRow(trace: Trace, base: ComparisonBase, rows: readonly ComparisonRow[], label: string): ComparisonRow {
  const target = rows.find((row) => row.label === label) as ComparisonRow;
  const found = cheapestFixedMargin(trace, base, target.report.failedAllocations);
  if (!found) throw new UsageError(`no fixed margin up to the searched limit fails as few players as "${label}" on ${trace.name}`);
  return { label: `cheapest fixed for "${label}": ${found.upscaleMargin}/${found.downscaleMargin}`, report: found.report };
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  const known = error instanceof UsageError || error instanceof InvalidTraceError || error instanceof InvalidSettingsError || error instanceof SimulationError;
  console.error(known ? `simulate: ${(error as Error).message}` : error);
  if (error instanceof UsageError) console.error(`\n${USAGE}`);
  process.exitCode = known ? 2 : 1;
}
