import type { Attachment, Cluster, Container, ContainerInstance, NetworkBinding, Tag, Task } from '@aws-sdk/client-ecs';
import { EcsArns, LOOPBACK } from './aws-names';
import { FakeContainerInstance, FakeTask, FargatePlacement } from './ecs-state';

export interface TaskViewOptions {
  readonly region: string;
  readonly containerName: string;
  /** The container port of the task definition (EC2 launch type; Fargate tasks listen on their own port). */
  readonly containerPort: number;
}

/** A task as DescribeTasks, StartTask, RunTask and StopTask describe it. */
export function taskView(task: FakeTask, arns: EcsArns, clusterName: string, options: TaskViewOptions, withTags: boolean): Task {
  const { placement } = task;
  return {
    taskArn: task.taskArn,
    clusterArn: arns.cluster(clusterName),
    taskDefinitionArn: arns.taskDefinition(task.definition),
    group: `family:${task.definition.family}`,
    launchType: placement.launchType,
    containerInstanceArn: placement.launchType === 'EC2' ? placement.containerInstanceArn : undefined,
    platformVersion: placement.launchType === 'FARGATE' ? '1.4.0' : undefined,
    availabilityZone: `${options.region}a`,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    startedBy: task.startedBy,
    createdAt: task.createdAt,
    startedAt: task.startedAt,
    stoppingAt: task.stoppingAt,
    stoppedAt: task.stoppedAt,
    executionStoppedAt: task.stoppedAt,
    stoppedReason: task.stoppedReason,
    stopCode: task.stopCode,
    version: task.version,
    containers: [containerView(task, options)],
    attachments: placement.launchType === 'FARGATE' ? [eniAttachment(placement, task)] : [],
    tags: withTags ? tagList(task.tags) : undefined,
  };
}

function containerView(task: FakeTask, options: TaskViewOptions): Container {
  const { placement } = task;
  return {
    containerArn: task.containerArn,
    taskArn: task.taskArn,
    name: options.containerName,
    image: 'fleet-manager/sample-game-server:latest',
    lastStatus: task.lastStatus,
    exitCode: task.exitCode,
    networkBindings: networkBindings(task, options),
    networkInterfaces:
      placement.launchType === 'FARGATE' ? [{ attachmentId: placement.attachmentId, privateIpv4Address: placement.privateIp }] : undefined,
  };
}

/** Known once the container runs: a dynamic host port on EC2; on Fargate the port the task listens on. */
function networkBindings(task: FakeTask, options: TaskViewOptions): NetworkBinding[] {
  if (task.port === undefined) return [];
  return task.placement.launchType === 'EC2'
    ? [{ bindIP: '0.0.0.0', containerPort: options.containerPort, hostPort: task.port, protocol: 'tcp' }]
    : [{ bindIP: LOOPBACK, containerPort: task.port, hostPort: task.port, protocol: 'tcp' }];
}

function eniAttachment(placement: FargatePlacement, task: FakeTask): Attachment {
  return {
    id: placement.attachmentId,
    type: 'ElasticNetworkInterface',
    status: task.lastStatus === 'STOPPED' ? 'DELETED' : 'ATTACHED',
    details: [
      { name: 'subnetId', value: placement.subnetId },
      { name: 'networkInterfaceId', value: placement.networkInterfaceId },
      { name: 'macAddress', value: '0a:00:00:00:00:01' },
      { name: 'privateDnsName', value: 'localhost' },
      { name: 'privateIPv4Address', value: placement.privateIp },
    ],
  };
}

export function containerInstanceView(instance: FakeContainerInstance, tasksOn: readonly FakeTask[]): ContainerInstance {
  return {
    containerInstanceArn: instance.arn,
    ec2InstanceId: instance.ec2InstanceId,
    status: instance.status,
    agentConnected: instance.status === 'ACTIVE',
    registeredAt: instance.registeredAt,
    runningTasksCount: tasksOn.filter((t) => t.lastStatus === 'RUNNING').length,
    pendingTasksCount: tasksOn.filter((t) => t.lastStatus === 'PENDING').length,
  };
}

export function clusterView(name: string, arns: EcsArns, containerInstances: number, tasks: readonly FakeTask[]): Cluster {
  return {
    clusterArn: arns.cluster(name),
    clusterName: name,
    status: 'ACTIVE',
    registeredContainerInstancesCount: containerInstances,
    runningTasksCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
    pendingTasksCount: tasks.filter((t) => t.lastStatus === 'PENDING').length,
    activeServicesCount: 0,
  };
}

export function tagList(tags: ReadonlyMap<string, string>): Tag[] {
  return [...tags].map(([key, value]) => ({ key, value }));
}
