import type { TaskStopCode } from '@aws-sdk/client-ecs';
import type { ResolvedTaskDefinition } from './task-definitions';
import type { GameServerProcess } from './game-server-processes';
import type { Sequenced } from './paging';
import type { Addresses } from './fake-ec2';

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
  /** Where ECS_ASSIGN_PUBLIC_IP asked for one. */
  readonly publicIp?: string;
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
  /** Where the game server listens once the task runs: the host port (bridge) or the container port (awsvpc)... */
  port?: number;
  /** ... on the private address of its instance or ENI; clients may reach it on the public one. */
  addresses?: Addresses;
  /** Bridge mode, once the task runs: each mapped port's dynamic host port, by hostPortKey (sidecars' too; only the game server's has a process behind it). */
  hostPorts?: ReadonlyMap<string, number>;
  process?: GameServerProcess;
  exitCode?: number;
  /** ECS bumps a task's version on every change it reports. */
  version: number;
}

export function hostPortKey(container: string, containerPort: number): string {
  return `${container}/${containerPort}`;
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
  /** Host port (EC2) or container port (Fargate), once running. */
  readonly port?: number;
  /** Where the game server listens, once running: its instance's or ENI's private address and the port. */
  readonly privateAddress?: string;
  /** Where game clients outside the VPC reach it, if it has a public address. */
  readonly publicAddress?: string;
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
    privateAddress: task.addresses && task.port !== undefined ? `${task.addresses.privateIp}:${task.port}` : undefined,
    publicAddress: task.addresses?.publicIp && task.port !== undefined ? `${task.addresses.publicIp}:${task.port}` : undefined,
    pid: task.process?.pid,
    tags: Object.fromEntries(task.tags),
  };
}

export function containerInstanceSnapshot(instance: FakeContainerInstance): ContainerInstanceSnapshot {
  return { containerInstanceArn: instance.arn, ec2InstanceId: instance.ec2InstanceId, status: instance.status, registeredAt: instance.registeredAt };
}
