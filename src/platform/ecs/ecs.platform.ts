import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeClustersCommand,
  ECSClient,
  RunTaskCommand,
  StartTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  Task,
  UntagResourceCommand,
} from '@aws-sdk/client-ecs';
import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AddressKind, Settings } from '../../config/settings';
import { GameServerPlatform, LaunchRequest, PlatformServer, ServerRef } from '../game-server-platform';
import { chunks, DESCRIBE_CONCURRENCY, inParallel } from './aws-batching';
import { Ec2Instances, InstanceAddresses } from './ec2-instances';
import { drainingSinceOfTask, EcsTasks, eniOf, gamePortOf, serverIdOf } from './ecs-tasks';
import { PollOutcome, SharedPoll } from './shared-poll';
import { DRAINING_TAG, SERVER_ID_TAG, STARTED_BY, taskFamily } from './ecs-tags';

const DESCRIBE_ENIS_BATCH = 200;

/**
 * Game servers as ECS tasks. EC2 launch type: one instance per server, launched from the launch
 * template, with the task started on exactly that instance. Fargate: RunTask with awsvpc
 * networking. What the manager must remember (server id, draining) lives in task tags, so a
 * restarted manager rebuilds the fleet from ECS alone.
 */
@Injectable()
export class EcsPlatform implements GameServerPlatform {
  readonly name = 'ecs';
  private readonly logger = new Logger(EcsPlatform.name);
  private readonly tasks: EcsTasks;
  private readonly instances: Ec2Instances;
  private readonly cluster: string;
  private readonly taskDefinition: string;
  private readonly pollMs: number;
  private readonly launchTimeoutMs: number;
  /** EC2 instances of launches in flight, until their ECS agent joins the cluster: instance id -> container instance ARN. */
  private readonly joins: SharedPoll<string>;
  /** Tasks of launches in flight, until they run: task ARN -> task. */
  private readonly starts: SharedPoll<Task>;

  constructor(
    private readonly ecs: ECSClient,
    private readonly ec2: EC2Client,
    private readonly settings: Settings,
  ) {
    this.cluster = settings.ECS_CLUSTER;
    this.taskDefinition = settings.SERVER_TASK_DEFINITION ?? '';
    this.tasks = new EcsTasks(ecs, this.cluster, taskFamily(this.taskDefinition));
    this.instances = new Ec2Instances(ec2, this.cluster, settings.ECS_INSTANCE_LAUNCH_TEMPLATE ?? '');
    this.pollMs = settings.ECS_POLL_INTERVAL * 1000;
    this.launchTimeoutMs = settings.LAUNCH_TIMEOUT * 1000;
    this.joins = new SharedPoll(this.pollMs, (instanceIds) => this.lookUpJoins(instanceIds), this.logger);
    this.starts = new SharedPoll(this.pollMs, (taskArns) => this.lookUpStarts(taskArns), this.logger);
  }

  /** Running, with the port its game server listens on known. */
  private isUp(task: Task): boolean {
    return task.lastStatus === 'RUNNING' && gamePortOf(task, this.settings.ECS_CONTAINER_PORT) !== undefined;
  }

  private get onEc2(): boolean {
    return this.settings.ECS_LAUNCH_TYPE === 'EC2';
  }

  async discover(): Promise<PlatformServer[]> {
    const tasks = await this.tasks.listRunning();
    // A task still pending was an unfinished launch of an earlier manager: nobody waits for it any more.
    for (const task of tasks.filter((t) => !this.isUp(t))) await this.stopTask(task.taskArn as string, 'unfinished launch of an earlier manager');
    const running = tasks.filter((task) => this.isUp(task));

    // The orphan sweep and the address lookups are independent: run them side by side.
    const [addresses] = await Promise.all([
      this.onEc2 ? this.ec2AddressesOf(running) : this.eniAddressesOf(running),
      this.onEc2 ? this.terminateOrphans(running) : undefined,
    ]);
    return running.flatMap((task) => {
      const server = this.toServer(task, addresses.get(task.taskArn as string));
      return server ? [server] : [];
    });
  }

  async launch(request: LaunchRequest): Promise<PlatformServer> {
    const deadline = Date.now() + this.launchTimeoutMs;
    return this.onEc2 ? this.launchOnEc2(request, deadline) : this.launchOnFargate(request, deadline);
  }

  async stop(server: ServerRef): Promise<void> {
    const { taskArn, instanceId } = server.platformIds;
    if (taskArn) await this.stopTask(taskArn, 'stopped by fleet-manager');
    if (instanceId) await this.instances.terminate([instanceId]);
  }

  async setDraining(server: ServerRef, since: number | undefined): Promise<void> {
    const resourceArn = server.platformIds.taskArn;
    if (!resourceArn) throw new Error(`server ${server.id} has no task`);
    if (since !== undefined) {
      await this.ecs.send(new TagResourceCommand({ resourceArn, tags: [{ key: DRAINING_TAG, value: new Date(since).toISOString() }] }));
    } else await this.ecs.send(new UntagResourceCommand({ resourceArn, tagKeys: [DRAINING_TAG] }));
  }

  async ping(): Promise<void> {
    const answer = await this.ecs.send(new DescribeClustersCommand({ clusters: [this.cluster] }));
    // One cluster was asked for; a deleted one comes back INACTIVE, a missing one not at all.
    if (answer.clusters?.[0]?.status !== 'ACTIVE') throw new Error(`ECS cluster ${this.cluster} not found or not active`);
  }

  private async launchOnEc2(request: LaunchRequest, deadline: number): Promise<PlatformServer> {
    const instanceId = await this.instances.run(request.id);
    try {
      const containerInstance = await this.joins.wait(instanceId, `instance ${instanceId} to join cluster ${this.cluster}`, deadline);
      const taskArn = await this.startTask(request.id, deadline, (tags) =>
        this.ecs.send(
          new StartTaskCommand({ cluster: this.cluster, taskDefinition: this.taskDefinition, containerInstances: [containerInstance], tags, startedBy: STARTED_BY }),
        ),
      );
      const task = await this.waitRunning(taskArn, deadline);
      const addresses = (await this.instances.addresses([instanceId])).get(instanceId);
      const server = this.toServer(task, addresses, instanceId);
      if (!server) throw new Error(`task ${taskArn} runs but has no address`);
      return server;
    } catch (error) {
      // Never leave an instance running that no server will ever use.
      await this.instances.terminate([instanceId]).catch((cleanup: unknown) => this.logger.error(`terminating ${instanceId} failed: ${String(cleanup)}`));
      throw error;
    }
  }

  private async launchOnFargate(request: LaunchRequest, deadline: number): Promise<PlatformServer> {
    const split = (list?: string) => (list ?? '').split(',').map((item) => item.trim()).filter(Boolean);
    const taskArn = await this.startTask(request.id, deadline, (tags) =>
      this.ecs.send(
        new RunTaskCommand({
          cluster: this.cluster,
          taskDefinition: this.taskDefinition,
          launchType: 'FARGATE',
          count: 1,
          tags,
          startedBy: STARTED_BY,
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: split(this.settings.ECS_SUBNETS),
              securityGroups: split(this.settings.ECS_SECURITY_GROUPS),
              assignPublicIp: this.settings.ECS_ASSIGN_PUBLIC_IP,
            },
          },
        }),
      ),
    );
    try {
      const task = await this.waitRunning(taskArn, deadline);
      const addresses = (await this.eniAddressesOf([task])).get(taskArn);
      const server = this.toServer(task, addresses);
      if (!server) throw new Error(`task ${taskArn} runs but has no address`);
      return server;
    } catch (error) {
      await this.stopTask(taskArn, 'launch failed').catch(() => undefined);
      throw error;
    }
  }

  /** Starts the task, retrying capacity failures (RESOURCE:MEMORY, ...) until the deadline. */
  private async startTask(
    serverId: string,
    deadline: number,
    start: (tags: { key: string; value: string }[]) => Promise<{ tasks?: Task[]; failures?: { reason?: string; arn?: string }[] }>,
  ): Promise<string> {
    for (;;) {
      const answer = await start([{ key: SERVER_ID_TAG, value: serverId }]);
      const taskArn = answer.tasks?.[0]?.taskArn;
      if (taskArn) return taskArn;
      const reason = answer.failures?.map((f) => f.reason).join(', ') || 'no task and no failure';
      if (Date.now() + this.pollMs > deadline) throw new Error(`task for ${serverId} could not start: ${reason}`);
      this.logger.warn({ serverId, reason }, `task for ${serverId} could not start (${reason}); retrying`);
      await sleep(this.pollMs);
    }
  }

  private waitRunning(taskArn: string, deadline: number): Promise<Task> {
    return this.starts.wait(taskArn, `task ${taskArn} to run`, deadline);
  }

  private async lookUpJoins(instanceIds: string[]): Promise<Map<string, PollOutcome<string>>> {
    const joined = await this.tasks.containerInstancesOf(instanceIds);
    return new Map([...joined].map(([instanceId, arn]) => [instanceId, { value: arn }]));
  }

  /** Each starting task's fate so far: up, stopped for good (or gone), or not decided yet (left out). */
  private async lookUpStarts(taskArns: string[]): Promise<Map<string, PollOutcome<Task>>> {
    const found = new Map((await this.tasks.describe(taskArns)).map((task) => [task.taskArn as string, task]));
    const outcomes = new Map<string, PollOutcome<Task>>();
    for (const arn of taskArns) {
      const task = found.get(arn);
      if (!task || task.lastStatus === 'STOPPED') outcomes.set(arn, { error: new Error(`task ${arn} stopped: ${task?.stoppedReason ?? 'missing'}`) });
      else if (this.isUp(task)) outcomes.set(arn, { value: task });
    }
    return outcomes;
  }

  private async stopTask(taskArn: string, reason: string): Promise<void> {
    try {
      await this.ecs.send(new StopTaskCommand({ cluster: this.cluster, task: taskArn, reason }));
    } catch (error) {
      if (!/not found|MISSING/i.test(String((error as Error).message))) throw error;
    }
  }

  private async ec2AddressesOf(tasks: readonly Task[]): Promise<Map<string, InstanceAddresses & { instanceId?: string }>> {
    const instanceOf = await this.tasks.instancesOf(tasks.map((t) => t.containerInstanceArn).filter((arn): arn is string => !!arn));
    const addresses = await this.instances.addresses([...instanceOf.values()]);
    const byTask = new Map<string, InstanceAddresses & { instanceId?: string }>();
    for (const task of tasks) {
      const instanceId = instanceOf.get(task.containerInstanceArn ?? '');
      if (instanceId) byTask.set(task.taskArn as string, { ...addresses.get(instanceId), instanceId });
    }
    return byTask;
  }

  private async eniAddressesOf(tasks: readonly Task[]): Promise<Map<string, InstanceAddresses>> {
    const enis = new Map(tasks.map((task) => [task.taskArn as string, eniOf(task)]));
    const eniIds = [...enis.values()].map((e) => e.eniId).filter((id): id is string => !!id);
    const publicIps = new Map<string, string | undefined>();
    await inParallel(chunks(eniIds, DESCRIBE_ENIS_BATCH), DESCRIBE_CONCURRENCY, async (batch) => {
      const answer = await this.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: batch }));
      for (const eni of answer.NetworkInterfaces ?? []) publicIps.set(eni.NetworkInterfaceId as string, eni.Association?.PublicIp);
    });
    return new Map([...enis].map(([arn, eni]) => [arn, { privateIp: eni.privateIp, publicIp: eni.eniId ? publicIps.get(eni.eniId) : undefined }]));
  }

  /** Instances the manager launched that run none of the fleet's tasks: a launch that crashed half-way. */
  private async terminateOrphans(running: readonly Task[]): Promise<void> {
    const serving = new Set(running.map(serverIdOf));
    const orphans = [...(await this.instances.launchedByManager())].filter(([, serverId]) => !serving.has(serverId)).map(([id]) => id);
    if (orphans.length === 0) return;
    this.logger.warn({ instances: orphans }, `terminating ${orphans.length} instance(s) left without a task`);
    await this.instances.terminate(orphans);
  }

  private toServer(task: Task, found?: InstanceAddresses & { instanceId?: string }, instanceId = found?.instanceId): PlatformServer | undefined {
    const port = gamePortOf(task, this.settings.ECS_CONTAINER_PORT);
    const pick = (kind: AddressKind) => (kind === 'public' ? found?.publicIp : found?.privateIp);
    const clientIp = pick(this.settings.CLIENT_ADDRESS);
    const probeIp = pick(this.settings.PROBE_ADDRESS);
    if (port === undefined || !clientIp || !probeIp) {
      this.logger.warn({ taskArn: task.taskArn }, `task ${task.taskArn} has no ${this.settings.CLIENT_ADDRESS}/${this.settings.PROBE_ADDRESS} address or port; not adopted`);
      return undefined;
    }
    const platformIds: Record<string, string> = { taskArn: task.taskArn as string };
    if (task.containerInstanceArn) platformIds.containerInstanceArn = task.containerInstanceArn;
    if (instanceId) platformIds.instanceId = instanceId;
    return {
      id: serverIdOf(task),
      address: `${clientIp}:${port}`,
      probeAddress: `${probeIp}:${port}`,
      drainingSince: drainingSinceOfTask(task, Date.now()),
      platformIds,
    };
  }
}
