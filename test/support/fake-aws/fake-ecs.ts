import type {
  DescribeClustersCommandInput,
  DescribeClustersCommandOutput,
  DescribeContainerInstancesCommandInput,
  DescribeContainerInstancesCommandOutput,
  DescribeTaskDefinitionCommandInput,
  DescribeTaskDefinitionCommandOutput,
  DescribeTasksCommandInput,
  DescribeTasksCommandOutput,
  Failure,
  ListContainerInstancesCommandInput,
  ListContainerInstancesCommandOutput,
  ListTasksCommandInput,
  ListTasksCommandOutput,
  RunTaskCommandInput,
  RunTaskCommandOutput,
  StartTaskCommandInput,
  StartTaskCommandOutput,
  StopTaskCommandInput,
  StopTaskCommandOutput,
  Tag,
  TagResourceCommandInput,
  TagResourceCommandOutput,
  Task,
  UntagResourceCommandInput,
  UntagResourceCommandOutput,
} from '@aws-sdk/client-ecs';
import { clientException, clusterNotFound, conflict, invalidParameter, resourceNotFound } from './aws-errors';
import { EcsArns, newAttachmentId, newEcsId, parseResourceRef } from './aws-names';
import {
  ContainerInstanceSnapshot,
  containerInstanceSnapshot,
  Ec2Placement,
  FakeContainerInstance,
  FakeLaunchType,
  FakeTask,
  FargatePlacement,
  TaskSnapshot,
  taskSnapshot,
} from './ecs-state';
import { clusterView, containerInstanceView, TaskViewOptions, taskView } from './ecs-views';
import { Addresses, Answer, InstanceEvents, InstanceStateName } from './fake-ec2';
import { GameServerProcesses } from './game-server-processes';
import { pageOf } from './paging';
import { PublicNat } from './public-nat';
import { Scheduler } from './scheduler';
import { ResolvedTaskDefinition, TaskDefinitions } from './task-definitions';
import { TaskLifecycle, TaskLifecycleOptions } from './task-lifecycle';

export interface FakeEcsOptions extends TaskViewOptions, TaskLifecycleOptions {
  readonly accountId: string;
  readonly describeLagMs: number;
  readonly listStoppedLagMs: number;
  readonly cluster: string;
  readonly registerDelayMs: number;
  readonly runGameServers: boolean;
}

/** What ECS needs of EC2: whether an instance runs and its addresses, and network interfaces for Fargate tasks. */
export interface Ec2Side {
  stateOf(instanceId: string): InstanceStateName | undefined;
  addressesOf(instanceId: string): Addresses | undefined;
  createNetworkInterface(description: string, subnetId: string, withPublicIp: boolean): { networkInterfaceId: string } & Addresses;
  deleteNetworkInterface(networkInterfaceId: string): void;
}

export interface FakeEcsDeps {
  readonly scheduler: Scheduler;
  readonly processes: GameServerProcesses;
  readonly nat: PublicNat;
  readonly ec2: Ec2Side;
  /** The reason the next StartTask/RunTask must fail with, when a test injected one. */
  readonly capacityFailure: () => string | undefined;
  readonly taskDefinitions: TaskDefinitions;
}

export interface SeedTask {
  readonly taskDefinition: string;
  readonly launchType: FakeLaunchType;
  readonly tags: ReadonlyMap<string, string>;
  readonly startedBy: string;
  readonly runProcess: boolean;
  /** EC2 launch type: the running instance the task's container instance stands for. */
  readonly ec2InstanceId?: string;
}

const MAX_DESCRIBE = 100;
const MAX_PAGE = 100;
const MAX_START = 10;
const MAX_TAGS = 50;
/** An agent is up only once its instance runs; until then it tries again this often. */
const AGENT_RETRY_MS = 10;

/** The ECS side: one cluster, its container instances and its tasks. */
export class FakeEcs implements InstanceEvents {
  private readonly tasks = new Map<string, FakeTask>();
  /** EC2 tasks by container instance ARN: DescribeContainerInstances over 10,000 instances must not scan every task each time. */
  private readonly tasksByInstance = new Map<string, FakeTask[]>();
  /**
   * RunTask by client token: the same token returns the same tasks, as ECS documents (clientToken,
   * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html).
   */
  private readonly runsByClientToken = new Map<string, { readonly request: string; readonly tasks: readonly FakeTask[] }>();
  /** Tasks and container instances that DescribeTasks and DescribeContainerInstances answer MISSING for their next calls (missInDescribe). */
  private readonly misses = new Map<string, number>();
  private readonly containerInstances = new Map<string, FakeContainerInstance>();
  private readonly arns: EcsArns;
  private readonly lifecycle: TaskLifecycle;
  private seq = 0;

  constructor(
    private readonly options: FakeEcsOptions,
    private readonly deps: FakeEcsDeps,
  ) {
    this.arns = new EcsArns(options.region, options.accountId);
    this.lifecycle = new TaskLifecycle(options, deps.scheduler, deps.processes, deps.nat, (task) => this.addressesOf(task), (task) => this.released(task));
  }

  // --- instance events -------------------------------------------------------------------------

  launched(ec2InstanceId: string): void {
    this.deps.scheduler.after(this.options.registerDelayMs, () => this.registerWhenRunning(ec2InstanceId));
  }

  terminating(ec2InstanceId: string): void {
    const instance = this.containerInstanceOn(ec2InstanceId);
    if (!instance) return;
    instance.status = 'INACTIVE';
    for (const task of this.tasksOn(instance)) this.lifecycle.stop(task, `Host EC2 (instance ${ec2InstanceId}) terminated.`);
  }

  // --- container instances ---------------------------------------------------------------------

  listContainerInstances(input: ListContainerInstancesCommandInput): Answer<ListContainerInstancesCommandOutput> {
    this.checkCluster(input.cluster);
    const max = maxResults(input.maxResults);
    const ec2InstanceIds = input.filter === undefined ? undefined : parseInstanceFilter(input.filter);
    // Without a status ECS lists every container instance that is not deregistered.
    const statuses: string[] = input.status ? [input.status] : ['ACTIVE', 'DRAINING'];
    const selected = [...this.containerInstances.values()].filter(
      (ci) => statuses.includes(ci.status) && (ec2InstanceIds === undefined || ec2InstanceIds.has(ci.ec2InstanceId)),
    );
    const page = pageOf(selected, max, input.nextToken, invalidToken);
    return { containerInstanceArns: page.items.map((ci) => ci.arn), nextToken: page.nextToken };
  }

  describeContainerInstances(input: DescribeContainerInstancesCommandInput): Answer<DescribeContainerInstancesCommandOutput> {
    this.checkCluster(input.cluster);
    const refs = input.containerInstances ?? [];
    if (refs.length === 0) throw invalidParameter('Container instances cannot be empty.');
    if (refs.length > MAX_DESCRIBE) throw invalidParameter(`instanceIds can have at most ${MAX_DESCRIBE} items.`);
    const found = refs.map((ref) => {
      const instance = this.findContainerInstance(ref);
      return { ref, instance: instance && !this.missed(instance.arn) ? instance : undefined };
    });
    return {
      containerInstances: found.flatMap(({ instance }) => (instance ? [containerInstanceView(instance, this.tasksOn(instance))] : [])),
      failures: found.flatMap(({ ref, instance }) => (instance ? [] : [{ arn: ref, reason: 'MISSING' }])),
    };
  }

  // --- tasks -----------------------------------------------------------------------------------

  startTask(input: StartTaskCommandInput): Answer<StartTaskCommandOutput> {
    this.checkCluster(input.cluster);
    const definition = this.deps.taskDefinitions.find(input.taskDefinition);
    if (definition.networkMode === 'awsvpc') throw invalidParameter('FakeAws starts awsvpc tasks on Fargate only (RunTask).');
    const refs = input.containerInstances ?? [];
    if (refs.length === 0) throw invalidParameter('Container instances cannot be empty.');
    if (refs.length > MAX_START) throw invalidParameter(`containerInstances can have at most ${MAX_START} items.`);
    const tags = tagMap(input.tags);
    const injected = this.deps.capacityFailure();
    const tasks: Task[] = [];
    const failures: Failure[] = [];
    for (const ref of refs) {
      const placement = injected ? { arn: ref, reason: injected } : this.placeOn(ref);
      if ('launchType' in placement) tasks.push(this.view(this.launch(definition, placement, tags, input.startedBy), true));
      else failures.push(placement);
    }
    return { tasks, failures };
  }

  runTask(input: RunTaskCommandInput): Answer<RunTaskCommandOutput> {
    this.checkCluster(input.cluster);
    const definition = this.deps.taskDefinitions.find(input.taskDefinition);
    if (input.launchType !== 'FARGATE') throw invalidParameter('FakeAws runs RunTask with launchType FARGATE only.');
    // Fargate tasks always use awsvpc networking; ECS refuses a definition of another mode.
    if (definition.networkMode !== 'awsvpc') throw clientException('Task definition does not support launch_type FARGATE.');
    const network = input.networkConfiguration?.awsvpcConfiguration;
    if (!network) throw invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    const subnet = network.subnets?.[0];
    if (!subnet) throw invalidParameter('subnets can not be empty.');
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > MAX_START) throw invalidParameter(`count must be between 1 and ${MAX_START}.`);
    const tags = tagMap(input.tags);
    const request = JSON.stringify({ ...input, clientToken: undefined });
    const earlier = input.clientToken === undefined ? undefined : this.runsByClientToken.get(input.clientToken);
    // The same token with other parameters is a conflict, as ECS answers it.
    if (earlier && earlier.request !== request) throw conflict('The specified client token has already been used in a different request.');
    if (earlier) return { tasks: earlier.tasks.map((task) => this.view(task, true)), failures: [] };
    const injected = this.deps.capacityFailure();
    if (injected) return { tasks: [], failures: [{ reason: injected }] };
    const launched = Array.from({ length: count }, () => this.launch(definition, this.newEni(subnet, network.assignPublicIp === 'ENABLED'), tags, input.startedBy));
    if (input.clientToken !== undefined) this.runsByClientToken.set(input.clientToken, { request, tasks: launched });
    return { tasks: launched.map((task) => this.view(task, true)), failures: [] };
  }

  describeTaskDefinition(input: DescribeTaskDefinitionCommandInput): Answer<DescribeTaskDefinitionCommandOutput> {
    return { taskDefinition: this.deps.taskDefinitions.view(this.deps.taskDefinitions.find(input.taskDefinition), this.arns) };
  }

  describeTasks(input: DescribeTasksCommandInput): Answer<DescribeTasksCommandOutput> {
    this.checkCluster(input.cluster);
    const refs = input.tasks ?? [];
    if (refs.length === 0) throw invalidParameter('Tasks cannot be empty.');
    if (refs.length > MAX_DESCRIBE) throw invalidParameter(`taskIds can have at most ${MAX_DESCRIBE} items.`);
    const withTags = input.include?.includes('TAGS') ?? false;
    const seenSince = Date.now() - this.options.describeLagMs;
    const seen = (task: FakeTask | undefined) => task && task.createdAt.getTime() <= seenSince && !this.missed(task.taskArn) ? task : undefined;
    const found = refs.map((ref) => ({ ref, task: seen(this.findTask(ref)) }));
    return {
      tasks: found.flatMap(({ task }) => (task ? [this.view(task, withTags)] : [])),
      failures: found.flatMap(({ ref, task }) => (task ? [] : [{ arn: ref, reason: 'MISSING' }])),
    };
  }

  listTasks(input: ListTasksCommandInput): Answer<ListTasksCommandOutput> {
    this.checkCluster(input.cluster);
    const max = maxResults(input.maxResults);
    // The fake runs no services, so no task belongs to one.
    if (input.serviceName) return { taskArns: [] };
    const desiredStatus = input.desiredStatus ?? 'RUNNING';
    const containerInstanceArn = input.containerInstance === undefined ? undefined : (this.findContainerInstance(input.containerInstance)?.arn ?? '');
    const stoppedSince = Date.now() - this.options.listStoppedLagMs;
    // Told to stop within listStoppedLagMs: listed under both desired statuses.
    const listedAs = (task: FakeTask, status: string) => task.desiredStatus === status || (status === 'RUNNING' && task.stoppingAt !== undefined && task.stoppingAt.getTime() > stoppedSince);
    const selected = [...this.tasks.values()].filter(
      (task) =>
        listedAs(task, desiredStatus) &&
        (input.family === undefined || task.definition.ref.family === input.family) &&
        (input.startedBy === undefined || task.startedBy === input.startedBy) &&
        (input.launchType === undefined || task.placement.launchType === input.launchType) &&
        (containerInstanceArn === undefined || (task.placement.launchType === 'EC2' && task.placement.containerInstanceArn === containerInstanceArn)),
    );
    const page = pageOf(selected, max, input.nextToken, invalidToken);
    return { taskArns: page.items.map((task) => task.taskArn), nextToken: page.nextToken };
  }

  stopTask(input: StopTaskCommandInput): Answer<StopTaskCommandOutput> {
    this.checkCluster(input.cluster);
    const task = this.findTask(input.task ?? '');
    if (!task) throw invalidParameter('The referenced task was not found.');
    this.lifecycle.stop(task, input.reason ?? 'Task stopped by user', 'UserInitiated');
    return { task: this.view(task, false) };
  }

  tagResource(input: TagResourceCommandInput): Answer<TagResourceCommandOutput> {
    const task = this.taskByResourceArn(input.resourceArn);
    const added = tagMap(input.tags);
    if (added.size === 0) throw invalidParameter('Tags cannot be empty.');
    const merged = new Map([...task.tags, ...added]);
    if (merged.size > MAX_TAGS) throw invalidParameter(`A resource can have at most ${MAX_TAGS} tags.`);
    for (const [key, value] of added) task.tags.set(key, value);
    return {};
  }

  untagResource(input: UntagResourceCommandInput): Answer<UntagResourceCommandOutput> {
    const task = this.taskByResourceArn(input.resourceArn);
    for (const key of input.tagKeys ?? []) task.tags.delete(key);
    return {};
  }

  describeClusters(input: DescribeClustersCommandInput): Answer<DescribeClustersCommandOutput> {
    const names = (input.clusters?.length ? input.clusters : ['default']).map((ref) => this.arns.clusterName(ref));
    const ours = this.options.cluster;
    const registered = [...this.containerInstances.values()].filter((ci) => ci.status === 'ACTIVE').length;
    return {
      clusters: names.filter((name) => name === ours).map((name) => clusterView(name, this.arns, registered, [...this.tasks.values()])),
      failures: names.filter((name) => name !== ours).map((name) => ({ arn: this.arns.cluster(name), reason: 'MISSING' })),
    };
  }

  missInDescribe(arn: string, times: number): void {
    this.misses.set(arn, times);
  }

  /** Whether this Describe* call misses the task or container instance (and one fewer will). */
  private missed(arn: string): boolean {
    const left = this.misses.get(arn) ?? 0;
    if (left > 0) this.misses.set(arn, left - 1);
    return left > 0;
  }

  // --- seeding and snapshots -------------------------------------------------------------------

  /** A task already RUNNING, as a manager would have left it; its process (if any) listens once this resolves. */
  async seedTask(seed: SeedTask): Promise<FakeTask> {
    const definition = this.deps.taskDefinitions.find(seed.taskDefinition);
    if ((seed.launchType === 'FARGATE') !== (definition.networkMode === 'awsvpc')) {
      throw new Error(`FakeAws seeds ${seed.launchType} tasks of ${seed.taskDefinition} (${definition.networkMode}): Fargate needs awsvpc, and the fake runs awsvpc on Fargate only`);
    }
    const placement: Ec2Placement | FargatePlacement =
      seed.launchType === 'EC2' ? this.ec2Placement(this.register(seed.ec2InstanceId as string)) : this.newEni('subnet-0fa4e0f4e0f4e0f4e', true);
    const task = this.create(definition, placement, seed.tags, seed.startedBy);
    await this.lifecycle.runNow(task, seed.runProcess);
    return task;
  }

  taskSnapshots(): TaskSnapshot[] {
    return [...this.tasks.values()].map(taskSnapshot);
  }

  containerInstanceSnapshots(): ContainerInstanceSnapshot[] {
    return [...this.containerInstances.values()].map(containerInstanceSnapshot);
  }

  // --- internals -------------------------------------------------------------------------------

  private checkCluster(cluster: string | undefined): void {
    if (this.arns.clusterName(cluster ?? 'default') !== this.options.cluster) throw clusterNotFound();
  }

  private registerWhenRunning(ec2InstanceId: string): void {
    const state = this.deps.ec2.stateOf(ec2InstanceId);
    if (state === 'running') this.register(ec2InstanceId);
    else if (state === 'pending') this.deps.scheduler.after(AGENT_RETRY_MS, () => this.registerWhenRunning(ec2InstanceId));
  }

  private register(ec2InstanceId: string): FakeContainerInstance {
    const id = newEcsId();
    const instance: FakeContainerInstance = {
      seq: this.seq++,
      id,
      arn: this.arns.containerInstance(this.options.cluster, id),
      ec2InstanceId,
      registeredAt: new Date(),
      status: 'ACTIVE',
    };
    this.containerInstances.set(id, instance);
    return instance;
  }

  /** Where StartTask may put a task: one task per instance, on an instance whose agent is connected. */
  private placeOn(ref: string): Ec2Placement | Failure {
    const instance = this.findContainerInstance(ref);
    if (!instance) return { arn: ref, reason: 'MISSING' };
    if (instance.status !== 'ACTIVE' || this.deps.ec2.stateOf(instance.ec2InstanceId) !== 'running') return { arn: instance.arn, reason: 'AGENT' };
    if (this.tasksOn(instance).length > 0) return { arn: instance.arn, reason: 'RESOURCE:MEMORY' };
    return this.ec2Placement(instance);
  }

  private ec2Placement(instance: FakeContainerInstance): Ec2Placement {
    return { launchType: 'EC2', containerInstanceArn: instance.arn, ec2InstanceId: instance.ec2InstanceId };
  }

  private newEni(subnetId: string, withPublicIp: boolean): FargatePlacement {
    const attachmentId = newAttachmentId();
    const description = `arn:aws:ecs:${this.options.region}:${this.options.accountId}:attachment/${attachmentId}`;
    const eni = this.deps.ec2.createNetworkInterface(description, subnetId, withPublicIp);
    return { launchType: 'FARGATE', attachmentId, networkInterfaceId: eni.networkInterfaceId, privateIp: eni.privateIp, publicIp: eni.publicIp, subnetId };
  }

  private addressesOf(task: FakeTask): Addresses | undefined {
    const { placement } = task;
    return placement.launchType === 'EC2' ? this.deps.ec2.addressesOf(placement.ec2InstanceId) : { privateIp: placement.privateIp, publicIp: placement.publicIp };
  }

  private launch(definition: ResolvedTaskDefinition, placement: Ec2Placement | FargatePlacement, tags: ReadonlyMap<string, string>, startedBy?: string): FakeTask {
    const task = this.create(definition, placement, tags, startedBy);
    this.lifecycle.begin(task, this.options.runGameServers);
    return task;
  }

  private create(definition: ResolvedTaskDefinition, placement: Ec2Placement | FargatePlacement, tags: ReadonlyMap<string, string>, startedBy?: string): FakeTask {
    const taskId = newEcsId();
    const task: FakeTask = {
      seq: this.seq++,
      taskId,
      taskArn: this.arns.task(this.options.cluster, taskId),
      containerArn: this.arns.container(this.options.cluster, newEcsId()),
      definition,
      placement,
      startedBy,
      createdAt: new Date(),
      tags: new Map(tags),
      lastStatus: 'PENDING',
      desiredStatus: 'RUNNING',
      version: 1,
    };
    this.tasks.set(taskId, task);
    if (task.placement.launchType === 'EC2') {
      const onInstance = this.tasksByInstance.get(task.placement.containerInstanceArn) ?? [];
      onInstance.push(task);
      this.tasksByInstance.set(task.placement.containerInstanceArn, onInstance);
    }
    return task;
  }

  /** ECS deletes a Fargate task's network interface once the task has stopped. */
  private released(task: FakeTask): void {
    if (task.placement.launchType === 'FARGATE') this.deps.ec2.deleteNetworkInterface(task.placement.networkInterfaceId);
  }

  private view(task: FakeTask, withTags: boolean): Task {
    return taskView(task, this.arns, this.options.cluster, this.options, withTags);
  }

  private findTask(ref: string): FakeTask | undefined {
    const parsed = parseResourceRef(ref, 'task');
    if (!parsed || (parsed.cluster !== undefined && parsed.cluster !== this.options.cluster)) return undefined;
    return this.tasks.get(parsed.id);
  }

  private taskByResourceArn(resourceArn: string | undefined): FakeTask {
    if (!resourceArn?.startsWith('arn:')) throw invalidParameter('Invalid resource arn.');
    if (!parseResourceRef(resourceArn, 'task')) throw invalidParameter('FakeAws tags tasks only.');
    const task = this.findTask(resourceArn);
    if (!task) throw resourceNotFound('The specified task was not found.');
    return task;
  }

  private findContainerInstance(ref: string): FakeContainerInstance | undefined {
    const parsed = parseResourceRef(ref, 'container-instance');
    if (!parsed || (parsed.cluster !== undefined && parsed.cluster !== this.options.cluster)) return undefined;
    return this.containerInstances.get(parsed.id);
  }

  private containerInstanceOn(ec2InstanceId: string): FakeContainerInstance | undefined {
    return [...this.containerInstances.values()].find((ci) => ci.ec2InstanceId === ec2InstanceId && ci.status === 'ACTIVE');
  }

  /** The tasks that hold the instance: every one not yet STOPPED. */
  private tasksOn(instance: FakeContainerInstance): FakeTask[] {
    return (this.tasksByInstance.get(instance.arn) ?? []).filter((task) => task.lastStatus !== 'STOPPED');
  }
}

function maxResults(value: number | undefined): number {
  if (value === undefined) return MAX_PAGE;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE) throw invalidParameter(`maxResults must be between 1 and ${MAX_PAGE}.`);
  return value;
}

const invalidToken = () => invalidParameter('Invalid nextToken.');

/** ECS's cluster query language; the fake understands the one expression the manager uses. */
/**
 * The cluster query language statements the fake understands: `ec2InstanceId == i-...` and
 * `ec2InstanceId in [i-..., i-...]`. Anything else is refused rather than silently ignored.
 */
function parseInstanceFilter(filter: string): Set<string> {
  const one = /^\s*ec2InstanceId\s*==\s*(i-[0-9a-f]+)\s*$/.exec(filter);
  if (one) return new Set([one[1]]);
  const many = /^\s*ec2InstanceId\s+in\s*\[([^\]]*)\]\s*$/.exec(filter);
  const ids = many?.[1].split(',').map((id) => id.trim());
  if (!ids?.length || !ids.every((id) => /^i-[0-9a-f]+$/.test(id))) {
    throw invalidParameter(`FakeAws understands only the filters "ec2InstanceId == i-..." and "ec2InstanceId in [i-..., ...]", not: ${filter}`);
  }
  return new Set(ids);
}

function tagMap(tags: readonly Tag[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const { key, value } of tags ?? []) {
    if (!key) throw invalidParameter('Tag keys cannot be empty.');
    map.set(key, value ?? '');
  }
  if (map.size > MAX_TAGS) throw invalidParameter(`A resource can have at most ${MAX_TAGS} tags.`);
  return map;
}
