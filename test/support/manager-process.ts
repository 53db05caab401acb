import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../src/platform/local/local-process';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

export interface ManagerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
}


/**
 * Runs the built manager (`npm start` runs the same file) as its own process, as in production,
 * so that it can be killed for real. Only the given variables and PATH reach it. `openFiles`
 * lowers its limit of open files (`ulimit -n`), as a container's may be.
 */
export async function spawnManager(env: Record<string, string>, cwd?: string, openFiles?: number): Promise<ManagerProcess> {
  const port = await freeLoopbackPort();
  const [command, args] =
    openFiles === undefined ? [process.execPath, [MAIN]] : ['/bin/sh', ['-c', `ulimit -n ${openFiles} && exec "$0" "$1"`, process.execPath, MAIN]];
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

/** Runs the built manager until it exits by itself (a refused configuration), with its stderr. */
export async function runManagerToExit(env: Record<string, string>, cwd?: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

export async function killManager(manager: ManagerProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (manager.child.exitCode !== null || manager.child.signalCode !== null) return manager.child.exitCode;
  manager.child.kill(signal);
  const [code] = (await once(manager.child, 'exit')) as [number | null];
  return code;
}
