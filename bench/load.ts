import autocannon from 'autocannon';
import { createHistogram, RecordableHistogram } from 'node:perf_hooks';
import { cpuSeconds } from './proc';

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** CPU time the server process used per request: its own work, whatever else the machine runs. */
  readonly cpuUsPerRequest: number;
  /** Answers that were not 2xx, errors and timeouts: a valid run has none. */
  readonly failed: number;
  /** What the failures were: status codes, errors, timeouts, with their counts. */
  readonly failures: string;
}

/**
 * The load one target took, over one or several runs. Latencies are taken from each response at
 * microsecond resolution: autocannon's own histogram counts whole milliseconds, too coarse for
 * answers that take a fraction of one.
 */
export class LoadTally {
  private requests = 0;
  private seconds = 0;
  private failed = 0;
  private readonly failures = new Map<string, number>();
  private cpuS = 0;
  private readonly latencyUs: RecordableHistogram = createHistogram();

  /** Keeps `connections` requests in flight for `durationS` seconds (autocannon as a library) on the server process `pid`. */
  async run(url: string, pid: number, connections: number, durationS: number): Promise<void> {
    const cpuBefore = await cpuSeconds(pid);
    const result = await load(url, connections, durationS, (ms) => this.latencyUs.record(Math.max(1, Math.round(ms * 1000))));
    this.requests += result.requests.total;
    this.seconds += result.duration;
    this.failed += result.non2xx + result.errors + result.timeouts;
    const count = (what: string, n: number) => {
      if (n > 0) this.failures.set(what, (this.failures.get(what) ?? 0) + n);
    };
    for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) if (!status.startsWith('2')) count(`HTTP ${status}`, stats.count ?? 0);
    count('errors', result.errors);
    count('timeouts', result.timeouts);
    this.cpuS += (await cpuSeconds(pid)) - cpuBefore;
  }

  result(): LoadResult {
    return {
      requestsPerSecond: this.requests / this.seconds,
      p50Ms: this.latencyUs.percentile(50) / 1000,
      p99Ms: this.latencyUs.percentile(99) / 1000,
      requests: this.requests,
      cpuUsPerRequest: (this.cpuS / this.requests) * 1e6,
      failed: this.failed,
      failures: [...this.failures].map(([what, n]) => `${what} x${n}`).join(', '),
    };
  }
}

function load(url: string, connections: number, durationS: number, onLatencyMs?: (ms: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: durationS }, (error, result) => (error ? reject(error) : resolve(result)));
    if (onLatencyMs) instance.on('response', (_client, _status, _bytes, responseTime) => onLatencyMs(responseTime));
  });
}

/** A run whose figures are dropped: JIT, connection set-up, caches. */
export async function warmUp(url: string, connections: number, durationS: number): Promise<void> {
  await load(url, connections, durationS);
}
