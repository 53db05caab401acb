import type { TaskStopCode } from '@aws-sdk/client-ecs';
import { constants } from 'node:os';
import { FakeTask } from './ecs-state';
import type { Addresses } from './fake-ec2';
import { GameServerProcess, GameServerProcesses, ProcessExit } from './game-server-processes';
import { PublicNat } from './public-nat';
import { hostPortKey } from './ecs-state';
import { mappedPorts } from './task-definitions';
import { Scheduler } from './scheduler';

export interface TaskLifecycleOptions {
  readonly taskStartMs: number;
  readonly taskStopMs: number;
  /** How long a game server may take to exit after SIGTERM before it gets SIGKILL (ECS's stopTimeout). */
  readonly stopTimeoutMs: number;
}

/** ECS's dynamic host ports start here; tasks without a process get made-up ports from this range. */
const FIRST_DYNAMIC_PORT = 32768;

const ESSENTIAL_EXITED = 'Essential container in task exited';

/**
 * A task's way from PENDING through RUNNING to STOPPED, and the game server process that goes
 * with it: started when the task is to run, sent SIGTERM when the task is stopped, and the task
 * stops by itself when its process dies.
 */
export class TaskLifecycle {
  private nextFakePort = FIRST_DYNAMIC_PORT;
  /** Tasks whose game server was spawned but does not listen yet. */
  private readonly starting = new Set<FakeTask>();

  constructor(
    private readonly options: TaskLifecycleOptions,
    private readonly scheduler: Scheduler,
    private readonly processes: GameServerProcesses,
    private readonly nat: PublicNat,
    /** The task's instance's or ENI's addresses now; undefined once its instance is gone. */
    private readonly addressesOf: (task: FakeTask) => Addresses | undefined,
    private readonly onStopped: (task: FakeTask) => void,
  ) {}

  /** A new PENDING task: it runs after `taskStartMs` (and, with a process, once that listens). */
  begin(task: FakeTask, runProcess: boolean): void {
    this.scheduler.after(this.options.taskStartMs, () => void this.run(task, runProcess));
  }

  /** Runs a PENDING task at once (seeding). */
  runNow(task: FakeTask, runProcess: boolean): Promise<void> {
    return this.run(task, runProcess);
  }

  stop(task: FakeTask, reason: string, stopCode?: TaskStopCode): void {
    if (task.desiredStatus === 'STOPPED') return;
    task.desiredStatus = 'STOPPED';
    task.stoppingAt = new Date();
    task.stoppedReason = reason;
    task.stopCode = stopCode;
    task.version++;
    if (task.process?.isAlive()) this.terminate(task.process);
    // A process still starting is stopped by run() once it is up: there is nothing to signal yet.
    else if (!this.starting.has(task)) this.scheduler.after(this.options.taskStopMs, () => this.markStopped(task));
  }

  private async run(task: FakeTask, runProcess: boolean): Promise<void> {
    if (task.desiredStatus === 'STOPPED') return;
    let process: GameServerProcess | undefined;
    const { definition, placement } = task;
    const addresses = this.addressesOf(task);
    if (!addresses) return this.failToStart(task);
    const gamePort = definition.containers.find((c) => c.name === definition.gameContainer)?.containerPort;
    // awsvpc: the task's own address, at the container port; bridge: a dynamic host port on the instance's address.
    const port = definition.networkMode === 'awsvpc' && placement.launchType === 'FARGATE' ? gamePort : undefined;
    if (runProcess) {
      this.starting.add(task);
      try {
        process = await this.processes.start({ host: addresses.privateIp, port });
        if (addresses.publicIp) await this.nat.open(addresses.publicIp, addresses.privateIp, process.port);
      } catch {
        if (process?.isAlive()) this.terminate(process);
        if (!this.scheduler.isClosed) this.failToStart(task);
        return;
      } finally {
        this.starting.delete(task);
      }
    }
    task.process = process;
    task.addresses = addresses;
    if (process) void process.exited.then((exit) => this.processExited(task, exit));
    if (process && stopRequested(task)) {
      this.terminate(process);
      return;
    }
    task.port = process?.port ?? port ?? this.nextFakePort++;
    if (definition.networkMode === 'bridge') {
      const port = task.port;
      task.hostPorts = new Map(
        definition.containers.flatMap((c) =>
          mappedPorts(c).map((containerPort) => [hostPortKey(c.name, containerPort), c.name === definition.gameContainer && containerPort === c.containerPort ? port : this.nextFakePort++]),
        ),
      );
    }
    task.lastStatus = 'RUNNING';
    task.startedAt = new Date();
    task.version++;
  }

  /** SIGTERM, and SIGKILL if the server is still there after the stop timeout, as the ECS agent does. */
  private terminate(process: GameServerProcess): void {
    process.signal('SIGTERM');
    this.scheduler.after(this.options.stopTimeoutMs, () => process.signal('SIGKILL'));
  }

  private failToStart(task: FakeTask): void {
    if (task.desiredStatus === 'RUNNING') {
      task.desiredStatus = 'STOPPED';
      task.stoppedReason = ESSENTIAL_EXITED;
      task.stopCode = 'TaskFailedToStart';
    }
    this.markStopped(task);
  }

  private processExited(task: FakeTask, exit: ProcessExit): void {
    if (task.addresses?.publicIp && task.process) void this.nat.close(task.addresses.publicIp, task.process.port);
    task.exitCode = exit.code ?? 128 + (exit.signal ? constants.signals[exit.signal] : 0);
    if (task.desiredStatus === 'RUNNING') {
      task.desiredStatus = 'STOPPED';
      task.stoppingAt = new Date();
      task.stoppedReason = ESSENTIAL_EXITED;
      task.stopCode = 'EssentialContainerExited';
    }
    this.markStopped(task);
  }

  private markStopped(task: FakeTask): void {
    if (task.lastStatus === 'STOPPED') return;
    task.lastStatus = 'STOPPED';
    task.stoppedAt = new Date();
    task.version++;
    this.onStopped(task);
  }
}

/** Read through a function: a stop may come in while a process starts, which TypeScript's narrowing cannot know. */
function stopRequested(task: FakeTask): boolean {
  return task.desiredStatus === 'STOPPED';
}
