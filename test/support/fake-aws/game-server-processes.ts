import { ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { FakeAwsClosedError } from './aws-errors';
import { Scheduler } from './scheduler';
import { freeLoopbackPort } from '../../../src/platform/local/local-process';

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A sample game server the fake runs for a task, listening on a loopback address. */
export interface GameServerProcess {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  readonly exited: Promise<ProcessExit>;
  isAlive(): boolean;
  signal(signal: NodeJS.Signals): void;
}

const READY_POLL_MS = 20;
const KILL_GRACE_MS = 3000;

/** Starts game servers as child processes and makes sure none outlives the fake. */
export class GameServerProcesses {
  private readonly running = new Set<GameServerProcess>();

  constructor(
    private readonly script: string,
    private readonly capacity: number,
    private readonly readyTimeoutMs: number,
    private readonly scheduler: Scheduler,
  ) {}

  /**
   * Resolves once the server accepts connections; rejects (and leaves nothing running) if it never
   * does. Without a port, it listens at a free one (a dynamic host port).
   */
  async start(at: { readonly host: string; readonly port?: number }): Promise<GameServerProcess> {
    const host = at.host;
    // Free on 127.0.0.1 is free on the instance's own address too: only its game server listens there.
    const port = at.port ?? (await freeLoopbackPort());
    if (this.scheduler.isClosed) throw new FakeAwsClosedError();
    const server = this.spawn(host, port);
    try {
      await this.waitListening(server);
      return server;
    } catch (error) {
      await stopProcess(server);
      throw error;
    }
  }

  /** Every process still running: SIGTERM, then SIGKILL for any that ignores it. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running].map(stopProcess));
  }

  private spawn(host: string, port: number): GameServerProcess {
    const child = spawn(process.execPath, [this.script], {
      env: { PATH: process.env.PATH, HOST: host, PORT: String(port), CAPACITY: String(this.capacity) },
      stdio: 'ignore',
      detached: false,
    });
    const exited = new Promise<ProcessExit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    const server: GameServerProcess = {
      host,
      port,
      pid: child.pid ?? -1,
      exited,
      isAlive: () => isAlive(child),
      signal: (signal) => {
        if (isAlive(child)) child.kill(signal);
      },
    };
    this.running.add(server);
    void exited.then(() => this.running.delete(server));
    return server;
  }

  private async waitListening(server: GameServerProcess): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    while (!(await accepts(server.host, server.port))) {
      if (!server.isAlive()) throw new Error(`game server on port ${server.port} exited before it listened`);
      if (Date.now() > deadline) throw new Error(`game server on port ${server.port} did not listen within ${this.readyTimeoutMs} ms`);
      await this.scheduler.sleep(READY_POLL_MS);
    }
  }
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
}

async function stopProcess(server: GameServerProcess): Promise<void> {
  if (!server.isAlive()) return;
  server.signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'grace over'>((resolve) => (timer = setTimeout(() => resolve('grace over'), KILL_GRACE_MS)));
  const outcome = await Promise.race([server.exited, graceOver]);
  clearTimeout(timer);
  if (outcome === 'grace over') {
    server.signal('SIGKILL');
    await server.exited;
  }
}

/** A port nobody listens on now: bind port 0 and let it go. */

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
