import type { TaskStopCode } from '@aws-sdk/client-ecs';
import type { ResolvedTaskDefinition } from './task-definitions';
import type { GameServerProcess } from './game-server-processes';
import type { Sequenced } from './paging';

export type TaskStatus = 'PENDING' | 'RUNNING' | 'STOPPED';
export type FakeLaunchType = 'EC2' | 'FARGATE';

/** EC2 launch type: the task sits on one container instance, i.e. one EC2 instance. */
export interface Ec2Placement {
  readonly launchType: 'EC2';
  readonly containerInstanceArn: string;
  readonly ec2InstanceId: string;
}

/** Fargate: the task has its own network interface (awsvpc). */
export interface FargatePlacement {
  readonly launchType: 'FARGATE';
  readonly attachmentId: string;
  readonly networkInterfaceId: string;
  readonly privateIp: string;
  readonly subnetId: string;
}

export interface FakeTask extends Sequenced {
  readonly taskId: string;
  readonly taskArn: string;
  readonly containerArn: string;
  readonly definition: ResolvedTaskDefinition;
  readonly placement: Ec2Placement | FargatePlacement;
  readonly startedBy?: string;
  readonly createdAt: Date;
  readonly tags: Map<string, string>;
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  startedAt?: Date;
  stoppingAt?: Date;
  stoppedAt?: Date;
  stoppedReason?: string;
  stopCode?: TaskStopCode;
  /** Where the game server listens once the task runs: the host port (bridge) or the container port (awsvpc). */
  port?: number;
  /** Bridge mode, once the task runs: each container port's dynamic host port (sidecars' too; only the game container's has a process behind it). */
  hostPorts?: ReadonlyMap<string, number>;
  process?: GameServerProcess;
  exitCode?: number;
  /** ECS bumps a task's version on every change it reports. */
  version: number;
}

export interface FakeContainerInstance extends Sequenced {
  readonly id: string;
  readonly arn: string;
  readonly ec2InstanceId: string;
  readonly registeredAt: Date;
  status: 'ACTIVE' | 'INACTIVE';
}

export interface TaskSnapshot {
  readonly taskArn: string;
  readonly taskId: string;
  readonly family: string;
  readonly launchType: FakeLaunchType;
  readonly lastStatus: TaskStatus;
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  readonly startedBy?: string;
  readonly createdAt: Date;
  readonly stoppedAt?: Date;
  readonly stoppedReason?: string;
  readonly containerInstanceArn?: string;
  readonly ec2InstanceId?: string;
  readonly networkInterfaceId?: string;
  /** Host port (EC2) or container port (Fargate) on 127.0.0.1, once running. */
  readonly port?: number;
  /** The game server's process id, when the fake runs one for this task. */
  readonly pid?: number;
  readonly tags: Record<string, string>;
}

export interface ContainerInstanceSnapshot {
  readonly containerInstanceArn: string;
  readonly ec2InstanceId: string;
  readonly status: 'ACTIVE' | 'INACTIVE';
  readonly registeredAt: Date;
}

export function taskSnapshot(task: FakeTask): TaskSnapshot {
  const { placement } = task;
  return {
    taskArn: task.taskArn,
    taskId: task.taskId,
    family: task.definition.ref.family,
    launchType: placement.launchType,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    startedBy: task.startedBy,
    createdAt: task.createdAt,
    stoppedAt: task.stoppedAt,
    stoppedReason: task.stoppedReason,
    containerInstanceArn: placement.launchType === 'EC2' ? placement.containerInstanceArn : undefined,
    ec2InstanceId: placement.launchType === 'EC2' ? placement.ec2InstanceId : undefined,
    networkInterfaceId: placement.launchType === 'FARGATE' ? placement.networkInterfaceId : undefined,
    port: task.port,
    pid: task.process?.pid,
    tags: Object.fromEntries(task.tags),
  };
}

export function containerInstanceSnapshot(instance: FakeContainerInstance): ContainerInstanceSnapshot {
  return { containerInstanceArn: instance.arn, ec2InstanceId: instance.ec2InstanceId, status: instance.status, registeredAt: instance.registeredAt };
}
