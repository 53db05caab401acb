import { combineReports } from './combined-report';
import { ComparisonBase } from './comparison';
import { CURRENT_POLICY } from './scaling-policies';
import { simulate } from './simulation';
import { managerSettings } from './simulation-settings';
import { SimulationReport } from './simulation-report';
import { Trace } from './trace';

/** The largest upscale margin the search tries: 100 servers of 10 places each would be beyond any sane margin. */
const MAX_SEARCHED_MARGIN = 1000;

export interface FixedMarginFound {
  readonly upscaleMargin: number;
  readonly downscaleMargin: number;
  /** Over every seed of the base. */
  readonly report: SimulationReport;
}

/**
 * The cheapest fixed pair of margins that turns away no more players than `maxFailed` over the
 * base's seeds: what a user would have to find by hand. For each gap between the margins (the
 * narrowest the anti-flap rule allows, and the configured one) a binary search finds the
 * smallest upscale margin that is good enough. That one is not always the cheapest: a low
 * downscale margin drains servers that the next rise launches again, and each launch pays a boot.
 * So the margins up to one server's capacity above it are tried too; beyond that a margin holds
 * about one more server all the time. The cheapest good pair in server-hours wins. Undefined
 * when no margin up to MAX_SEARCHED_MARGIN is good enough.
 */
export function cheapestFixedMargin(trace: Trace, base: ComparisonBase, maxFailed: number): FixedMarginFound | undefined {
  const { settings } = managerSettings({ ...base.env });
  const gaps = [...new Set([settings.serverCapacity + 1, settings.downscaleMargin - settings.upscaleMargin])];
  const found: FixedMarginFound[] = [];
  for (const gap of gaps) {
    const run = (upscaleMargin: number) => fixedMarginRun(trace, base, upscaleMargin, upscaleMargin + gap);
    const smallest = smallestGoodEnough(run, maxFailed);
    if (!smallest) continue;
    found.push(smallest);
    for (let margin = smallest.upscaleMargin + 1; margin <= smallest.upscaleMargin + settings.serverCapacity; margin++) {
      const candidate = run(margin);
      if (candidate.report.failedAllocations <= maxFailed) found.push(candidate);
    }
  }
  return found.sort((a, b) => a.report.serverHours - b.report.serverHours)[0];
}

/** The smallest upscale margin that turns away no more than `maxFailed`, by binary search: fewer failures as the margin grows. */
function smallestGoodEnough(run: (upscaleMargin: number) => FixedMarginFound, maxFailed: number): FixedMarginFound | undefined {
  let high = run(MAX_SEARCHED_MARGIN);
  if (high.report.failedAllocations > maxFailed) return undefined;
  let low = 0;
  // Invariant: high is good enough, every margin below `low` is not.
  while (low < high.upscaleMargin) {
    const mid = (low + high.upscaleMargin) >> 1;
    const candidate = run(mid);
    if (candidate.report.failedAllocations <= maxFailed) high = candidate;
    else low = mid + 1;
  }
  return high;
}

function fixedMarginRun(trace: Trace, base: ComparisonBase, upscaleMargin: number, downscaleMargin: number): FixedMarginFound {
  const env = { ...base.env, MARGIN_MODE: 'fixed', UPSCALE_MARGIN: String(upscaleMargin), DOWNSCALE_MARGIN: String(downscaleMargin) };
  const { settings, sleepTimeSeconds } = managerSettings(env);
  const reports = base.seeds.map((seed) => simulate(trace, { settings, sleepTimeSeconds, boot: base.boot, seed, policy: CURRENT_POLICY }).report);
  return { upscaleMargin, downscaleMargin, report: combineReports(reports) };
}
