import type { Attachment, Cluster, Container, ContainerInstance, NetworkBinding, Tag, Task } from '@aws-sdk/client-ecs';
import { EcsArns } from './aws-names';
import { FakeContainerInstance, FakeTask, FargatePlacement, hostPortKey } from './ecs-state';
import { FakeContainer, mappedPorts } from './task-definitions';

export interface TaskViewOptions {
  readonly region: string;
}

/** A task as DescribeTasks, StartTask, RunTask and StopTask describe it. */
export function taskView(task: FakeTask, arns: EcsArns, clusterName: string, options: TaskViewOptions, withTags: boolean): Task {
  const { placement } = task;
  return {
    taskArn: task.taskArn,
    clusterArn: arns.cluster(clusterName),
    taskDefinitionArn: arns.taskDefinition(task.definition.ref),
    group: `family:${task.definition.ref.family}`,
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
    containers: task.definition.containers.map((container) => containerView(task, container)),
    attachments: placement.launchType === 'FARGATE' ? [eniAttachment(placement, task)] : [],
    tags: withTags ? tagList(task.tags) : undefined,
  };
}

function containerView(task: FakeTask, container: FakeContainer): Container {
  const { placement } = task;
  return {
    containerArn: `${task.containerArn}-${container.name}`,
    taskArn: task.taskArn,
    name: container.name,
    image: container.name === task.definition.gameContainer ? 'fleet-manager/sample-game-server:latest' : `sidecar/${container.name}:latest`,
    lastStatus: task.lastStatus,
    exitCode: container.name === task.definition.gameContainer ? task.exitCode : undefined,
    networkBindings: networkBindings(task, container),
    networkInterfaces:
      placement.launchType === 'FARGATE' ? [{ attachmentId: placement.attachmentId, privateIpv4Address: placement.privateIp }] : undefined,
  };
}

/**
 * Bridge mode, once the container runs: its container port bound to a dynamic host port. In
 * awsvpc mode ECS reports none: the task listens on its own interface at the container port.
 */
function networkBindings(task: FakeTask, container: FakeContainer): NetworkBinding[] {
  if (task.definition.networkMode === 'awsvpc') return [];
  return mappedPorts(container).flatMap((containerPort) => {
    const hostPort = task.hostPorts?.get(hostPortKey(container.name, containerPort));
    return hostPort === undefined ? [] : [{ bindIP: '0.0.0.0', containerPort, hostPort, protocol: 'tcp' as const }];
  });
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

/**
 * The counts as ECS documents them (API_ContainerInstance): runningTasksCount counts the tasks
 * whose *desired* status is RUNNING, pendingTasksCount those in the PENDING status. So a task
 * told to stop but still inside its stop timeout counts in neither: an instance can look idle
 * while its container is still shutting down.
 */
export function containerInstanceView(instance: FakeContainerInstance, tasksOn: readonly FakeTask[]): ContainerInstance {
  return {
    containerInstanceArn: instance.arn,
    ec2InstanceId: instance.ec2InstanceId,
    status: instance.status,
    agentConnected: instance.status === 'ACTIVE',
    registeredAt: instance.registeredAt,
    runningTasksCount: tasksOn.filter((t) => t.desiredStatus === 'RUNNING').length,
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
