import {
  ContainerInstance,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ECSClient,
  paginateListContainerInstances,
  paginateListTasks,
  Task,
} from '@aws-sdk/client-ecs';
import { inParallel } from '../../concurrency/in-parallel';
import { chunks, DESCRIBE_CONCURRENCY } from './aws-batching';
import { drainingSinceOf } from '../draining-since';
import { DRAINING_TAG, SERVER_ID_TAG } from './ecs-tags';

/** DescribeTasks and DescribeContainerInstances take at most 100 ARNs per call. */
const DESCRIBE_BATCH = 100;
/** Instance ids per `ec2InstanceId in [...]` filter: about 1,000 characters, well within the 2,000 AWS allows an expression. */
const LIST_FILTER_BATCH = 50;

export interface DescribedTasks {
  readonly tasks: Task[];
  /** ARNs asked about that DescribeTasks answered in `failures` (MISSING). */
  readonly missing: string[];
}

/** Reading the fleet's tasks and container instances from ECS, in as few calls as its limits allow. */
export class EcsTasks {
  constructor(
    private readonly ecs: ECSClient,
    private readonly cluster: string,
    private readonly family: string,
  ) {}

  /**
   * Every task of the family that ECS means to keep running, through every page, and the ARNs
   * listed that DescribeTasks did not find (its `failures`: ECS is eventually consistent, so a
   * task just listed may be missing from a describe). Each page is described while the next one
   * is listed, so a large fleet waits for the list, not for both. ListTasks may still list a task
   * told to stop ("recently stopped tasks might appear"): its description says so, and it is left
   * out, as a server in its last seconds must get no players.
   */
  async listRunning(): Promise<DescribedTasks> {
    const described: Promise<DescribedTasks>[] = [];
    for await (const page of paginateListTasks({ client: this.ecs, pageSize: 100 }, { cluster: this.cluster, family: this.family, desiredStatus: 'RUNNING' })) {
      const pageTasks = this.describe(page.taskArns ?? []);
      // Awaited below; a later ListTasks failure must not leave this rejection unhandled meanwhile.
      pageTasks.catch(() => undefined);
      described.push(pageTasks);
    }
    const pages = await Promise.all(described);
    return { tasks: pages.flatMap((page) => page.tasks).filter((task) => task.desiredStatus !== 'STOPPED'), missing: pages.flatMap((page) => page.missing) };
  }

  async describe(taskArns: readonly string[]): Promise<DescribedTasks> {
    const batches = await inParallel(chunks(taskArns, DESCRIBE_BATCH), DESCRIBE_CONCURRENCY, async (batch) => {
      const answer = await this.ecs.send(new DescribeTasksCommand({ cluster: this.cluster, tasks: batch, include: ['TAGS'] }));
      return { tasks: answer.tasks ?? [], missing: (answer.failures ?? []).map((f) => f.arn).filter((arn): arn is string => arn !== undefined) };
    });
    return { tasks: batches.flatMap((b) => b.tasks), missing: batches.flatMap((b) => b.missing) };
  }

  /** The EC2 instance behind each container instance. */
  async instancesOf(containerInstanceArns: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const instance of await this.describeContainerInstances(containerInstanceArns)) {
      if (instance.containerInstanceArn && instance.ec2InstanceId) found.set(instance.containerInstanceArn, instance.ec2InstanceId);
    }
    return found;
  }

  /**
   * The EC2 instances (of those given) that still hold a task: one meant to run, or one told to
   * stop whose container has not stopped yet. ECS counts only the former in runningTasksCount
   * (tasks whose desired status is RUNNING), so the latter are looked up: ListTasks of the
   * container instance with desired status STOPPED, and their last status. An instance that
   * never joined the cluster holds none. What ECS answers in `failures` (MISSING: its API is
   * eventually consistent) may hold anything: a container instance it did not describe, a task
   * told to stop that it did not describe. Such an instance counts as busy until a look sees it.
   */
  async busyInstances(instanceIds: readonly string[]): Promise<Set<string>> {
    const joined = await this.containerInstancesOf(instanceIds);
    const described = await this.describeContainerInstances([...joined.values()]);
    const seen = new Set(described.map((instance) => instance.containerInstanceArn));
    const busy = new Set([...joined].filter(([, arn]) => !seen.has(arn)).map(([instanceId]) => instanceId));
    for (const instance of described) {
      const instanceId = instance.ec2InstanceId as string;
      if ((instance.runningTasksCount ?? 0) + (instance.pendingTasksCount ?? 0) > 0) {
        busy.add(instanceId);
        continue;
      }
      const arns = await this.taskArnsOn(instance.containerInstanceArn as string, 'STOPPED');
      if (arns.length === 0) continue;
      const { tasks, missing } = await this.describe(arns);
      if (missing.length > 0 || tasks.some((task) => task.lastStatus !== 'STOPPED')) busy.add(instanceId);
    }
    return busy;
  }

  /**
   * The task of this server that ECS means to run on the container instance, if there is one: a
   * StartTask whose answer was lost may have started it (StartTask takes no client token).
   */
  async startedOn(containerInstanceArn: string, serverId: string): Promise<string | undefined> {
    const arns = await this.taskArnsOn(containerInstanceArn, 'RUNNING');
    if (arns.length === 0) return undefined;
    return (await this.describe(arns)).tasks.find((task) => serverIdOf(task) === serverId)?.taskArn;
  }

  private async taskArnsOn(containerInstance: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<string[]> {
    const arns: string[] = [];
    for await (const page of paginateListTasks({ client: this.ecs, pageSize: 100 }, { cluster: this.cluster, containerInstance, desiredStatus })) arns.push(...(page.taskArns ?? []));
    return arns;
  }

  private async describeContainerInstances(containerInstanceArns: readonly string[]): Promise<ContainerInstance[]> {
    const batches = await inParallel(chunks([...new Set(containerInstanceArns)], DESCRIBE_BATCH), DESCRIBE_CONCURRENCY, async (batch) => {
      const answer = await this.ecs.send(new DescribeContainerInstancesCommand({ cluster: this.cluster, containerInstances: batch }));
      return answer.containerInstances ?? [];
    });
    return batches.flat();
  }

  /**
   * The container instance of each EC2 instance whose ECS agent has joined the cluster. One
   * instance needs one call; several need a listing and a describe to tell whose is whose.
   */
  async containerInstancesOf(instanceIds: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const batch of chunks(instanceIds, LIST_FILTER_BATCH)) {
      const filter = batch.length === 1 ? `ec2InstanceId == ${batch[0]}` : `ec2InstanceId in [${batch.join(', ')}]`;
      const arns: string[] = [];
      for await (const page of paginateListContainerInstances({ client: this.ecs }, { cluster: this.cluster, filter })) arns.push(...(page.containerInstanceArns ?? []));
      if (batch.length === 1 && arns.length > 0) found.set(batch[0], arns[0]);
      else if (arns.length > 0) for (const [arn, instanceId] of await this.instancesOf(arns)) found.set(instanceId, arn);
    }
    return found;
  }
}

export function tagOf(task: Task, key: string): string | undefined {
  return task.tags?.find((tag) => tag.key === key)?.value;
}

/** The manager's id for a task: its tag, or for a task it did not start, the task id. */
export function serverIdOf(task: Task): string {
  return tagOf(task, SERVER_ID_TAG) ?? (task.taskArn ?? '').split('/').pop() ?? '';
}

/** When the task began draining: its tag holds the time (earlier managers wrote `true`); absent if it is not draining. */
export function drainingSinceOfTask(task: Task, now: number): number | undefined {
  const tag = tagOf(task, DRAINING_TAG);
  return tag === undefined ? undefined : drainingSinceOf(tag, now);
}

/** Fargate: the task's network interface and its private address. */
export function eniOf(task: Task): { eniId?: string; privateIp?: string } {
  const details = task.attachments?.find((a) => a.type === 'ElasticNetworkInterface')?.details ?? [];
  const value = (name: string) => details.find((d) => d.name === name)?.value;
  return { eniId: value('networkInterfaceId'), privateIp: value('privateIPv4Address') };
}
