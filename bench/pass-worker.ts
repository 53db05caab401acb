import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { exitWithParent, reportFailure } from './children';

/**
 * Helper process: times reconcile passes over the given health endpoints, either the manager's
 * real pass or the bare probe loop, in a process of its own, so that its resident memory is that
 * of one fleet of this size and nothing else.
 */
export interface PassJob {
  readonly kind: 'manager' | 'bare';
  readonly addresses: readonly string[];
  readonly concurrency: number;
  readonly warmups: number;
  readonly passes: number;
  /** Where to write a CPU profile of the timed passes (warm-up excluded), if wanted. */
  readonly cpuProfile?: string;
}

export interface PassResult {
  readonly passSeconds: readonly number[];
  /** The highest process.memoryUsage().rss seen after each timed pass. */
  readonly rssBytes: number;
  /** Platform calls per measured pass (manager only). */
  readonly platformCallsPerPass?: number;
}

async function runJob(job: PassJob): Promise<PassResult> {
  let pass: () => Promise<void>;
  let platformCalls: (() => number) | undefined;
  // Each kind loads only its own code, so that the memory of the bare loop is not the manager's.
  if (job.kind === 'manager') {
    const { managerPass } = await import('./manager-pass.js');
    const manager = await managerPass(job.addresses, job.concurrency);
    pass = () => manager.run();
    platformCalls = () => manager.platformCalls();
  } else {
    const { bareProbePass } = await import('./bare-probe-pass.js');
    pass = () => bareProbePass(job.addresses, job.concurrency);
  }
  for (let i = 0; i < job.warmups; i++) await pass();
  const callsBefore = platformCalls?.() ?? 0;
  const profiler = job.cpuProfile ? await startProfiler() : undefined;
  const passSeconds: number[] = [];
  let rssBytes = 0;
  for (let i = 0; i < job.passes; i++) {
    const started = performance.now();
    await pass();
    passSeconds.push((performance.now() - started) / 1000);
    rssBytes = Math.max(rssBytes, process.memoryUsage().rss);
  }
  if (profiler && job.cpuProfile) await profiler.stopInto(job.cpuProfile);
  const calls = platformCalls && (platformCalls() - callsBefore) / job.passes;
  return { passSeconds, rssBytes, platformCallsPerPass: calls };
}

async function startProfiler(): Promise<{ stopInto(path: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stopInto(path) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

exitWithParent();
process.once('message', (job: PassJob) => {
  runJob(job).then((result) => process.send?.(result), reportFailure);
});
process.send?.({ ready: true });
