import { ChildProcess, fork, spawn, SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Every process the bench starts goes through this file, so that stopAll() ends each of them, by
 * its own pid, after an error or Ctrl-C as well. The bench's own helpers also exit by themselves
 * when their IPC channel to the bench closes (see exitWithParent).
 */
const running = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Starts a program of the bench (any node script) and keeps it on the list. */
export function startProcess(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return track(spawn(command, args, options));
}

/**
 * Starts one of the bench's helper scripts (a compiled file beside this one) with the same Node and
 * an IPC channel, and resolves with its first message: helpers send one when they are ready.
 */
export async function startHelper<T>(
  script: string,
  args: readonly string[],
  { timeoutMs = 60_000, execArgv = [] as string[] } = {},
): Promise<{ child: ChildProcess; message: T }> {
  const child = track(fork(script, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const message = await firstMessage<T>(child, timeoutMs, script);
  return { child, message };
}

/** Sends a helper a job and resolves with its answer. */
export function ask<T>(child: ChildProcess, job: unknown, timeoutMs = 300_000): Promise<T> {
  const answer = firstMessage<T>(child, timeoutMs, 'helper');
  child.send(job as object);
  return answer;
}

/** Starts a helper for one job: waits until it is ready, gives it the job, stops it after its answer. */
export async function runHelper<T>(script: string, job: unknown, options: { timeoutMs?: number; execArgv?: string[] } = {}): Promise<T> {
  const { child } = await startHelper(script, [], { execArgv: options.execArgv });
  try {
    return await ask<T>(child, job, options.timeoutMs);
  } finally {
    await stopProcess(child);
  }
}

function firstMessage<T>(child: ChildProcess, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown) => {
      const m = message as { error?: string };
      finish(m.error ? new Error(`${what}: ${m.error}`) : undefined, message as T);
    };
    const onExit = (code: number | null, signal: string | null) => finish(new Error(`${what} exited (${signal ?? `code ${code}`}) before answering`));
    function finish(error: Error | undefined, value?: T) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value as T);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL if it is still there after a grace time. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  child.kill('SIGCONT'); // a paused process acts on SIGTERM only once it runs again
  const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    child.kill('SIGKILL');
    await exited;
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => stopProcess(child)));
}

/** Last resort when the bench itself exits abruptly: no helper or manager outlives it. */
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** For helpers: leave as soon as the bench that started them is gone. */
export function exitWithParent(): void {
  process.once('disconnect', () => process.exit(0));
  process.once('SIGTERM', () => process.exit(0));
}

/** For helpers: report a failure to the bench instead of dying silently. */
export function reportFailure(error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (process.send) process.send({ error: text }, () => process.exit(1));
  else {
    console.error(text);
    process.exit(1);
  }
}
