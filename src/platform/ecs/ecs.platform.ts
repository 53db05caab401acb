import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RunTaskCommand,
  StartTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  Task,
  UntagResourceCommand,
} from '@aws-sdk/client-ecs';
import { Injectable, Logger } from '@nestjs/common';
import { ActingFence } from '../../lifecycle/acting-fence';
import { FleetMetrics } from '../../metrics/fleet-metrics';
import { setTimeout as sleep } from 'node:timers/promises';
import { AddressKind, Settings } from '../../config/settings';
import { GameServerPlatform, LaunchRequest, PlatformListing, PlatformServer, ServerRef, UnadoptedServer } from '../game-server-platform';
import { inParallel } from '../../concurrency/in-parallel';
import { chunks, DESCRIBE_CONCURRENCY } from './aws-batching';
import { Ec2Instances, InstanceAddresses } from './ec2-instances';
import { drainingSinceOfTask, EcsTasks, eniOf, serverIdOf, tagOf } from './ecs-tasks';
import { GameContainerChoice, GamePort, gamePortOf } from './game-endpoint';
import { EcsTaskDefinitions } from './task-definitions';
import { PollOutcome, SharedPoll } from './shared-poll';
import { DRAINING_TAG, FLEET_TAG, SERVER_ID_TAG, STARTED_BY } from './ecs-tags';
import { fleetNameOf, taskFamily } from '../../config/fleet-name';

const DESCRIBE_ENIS_BATCH = 200;
/**
 * DescribeTasks is eventually consistent: a task just started may be MISSING for a few seconds
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html). Only
 * after this long is a missing task taken as gone.
 */
const MISSING_AFTER_START_MS = 30_000;
/**
 * How long stopping a server waits for its task to stop before its instance may be terminated:
 * ECS gives a container its stop timeout (at most 120 s) between SIGTERM and SIGKILL, and
 * terminating the instance meanwhile would cut that short.
 */
const TASK_STOP_WAIT_MS = 150_000;

/**
 * StartTask and RunTask failures that no retry mends: the container instance lacks an attribute
 * the task needs, or is gone or inactive
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html).
 */
function isPermanentStartFailure(reason: string): boolean {
  return reason.startsWith('ATTRIBUTE') || reason === 'MISSING' || reason === 'INACTIVE';
}

/** The revision of a task definition ARN (`...:task-definition/family:7`); 0 if it names none. */
function revisionOf(taskDefinitionArn: string | undefined): number {
  return Number(/:(\d+)$/.exec(taskDefinitionArn ?? '')?.[1] ?? 0);
}

/** A task that runs, and the port its game server listens on. */
interface UpTask {
  readonly task: Task;
  readonly port: number;
}

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
  /** Tasks of launches in flight, until they run: task ARN -> the task and its game port. */
  private readonly starts: SharedPoll<UpTask>;
  /** Tasks being stopped, until ECS reports them STOPPED: task ARN -> true. */
  private readonly taskStops: SharedPoll<true>;
  /** When each task of a launch in flight was started, for the grace of DescribeTasks' eventual consistency. */
  private readonly startedAt = new Map<string, number>();
  private readonly definitions: EcsTaskDefinitions;
  private readonly gameContainer: GameContainerChoice;
  private readonly fleetName: string;
  private lastUnadopted: readonly UnadoptedServer[] = [];
  /** The task definition revision launches use, as last learned (refreshLaunchRevision). */
  private launchRevision?: number;

  constructor(
    private readonly ecs: ECSClient,
    private readonly ec2: EC2Client,
    private readonly settings: Settings,
    private readonly metrics: FleetMetrics,
    private readonly fence: ActingFence,
  ) {
    this.cluster = settings.ECS_CLUSTER;
    this.taskDefinition = settings.SERVER_TASK_DEFINITION ?? '';
    this.tasks = new EcsTasks(ecs, this.cluster, taskFamily(this.taskDefinition));
    this.fleetName = fleetNameOf(settings);
    this.instances = new Ec2Instances(ec2, this.cluster, this.fleetName, settings.ECS_INSTANCE_LAUNCH_TEMPLATE ?? '');
    this.pollMs = settings.ECS_POLL_INTERVAL * 1000;
    this.launchTimeoutMs = settings.LAUNCH_TIMEOUT * 1000;
    this.joins = new SharedPoll(this.pollMs, (instanceIds) => this.lookUpJoins(instanceIds), this.logger);
    this.starts = new SharedPoll(this.pollMs, (taskArns) => this.lookUpStarts(taskArns), this.logger);
    this.taskStops = new SharedPoll(this.pollMs, (taskArns) => this.lookUpStops(taskArns), this.logger);
    this.definitions = new EcsTaskDefinitions(ecs);
    this.gameContainer = { containerName: settings.ECS_CONTAINER_NAME, containerPort: settings.ECS_CONTAINER_PORT };
  }

  private get onEc2(): boolean {
    return this.settings.ECS_LAUNCH_TYPE === 'EC2';
  }

  /**
   * The fleet as ECS runs it. A RUNNING task is never stopped here: one whose game port cannot be
   * resolved is reported and left alone. Only a task of the manager's own launches that never came
   * to run (PROVISIONING, PENDING) is stopped: nobody waits for it any more.
   */
  async discover(): Promise<PlatformServer[]> {
    return (await this.list(true)).servers;
  }

  /**
   * The fleet as ECS runs it now (ceil(N/100) ListTasks and DescribeTasks calls, and one
   * DescribeTaskDefinition per new revision). A task not yet running is left alone: it may be a
   * launch in flight. The sweep takes what is provably abandoned, as at start-up.
   */
  resync(): Promise<PlatformListing> {
    return this.list(false);
  }

  private async list(atStartUp: boolean): Promise<PlatformListing> {
    const [listed] = await Promise.all([this.tasks.listRunning(), this.refreshLaunchRevision()]);
    const missing = listed.missing;
    // Another fleet's tasks of the same family (tagged with its name) are not this fleet's; untagged ones are an earlier manager's.
    const tasks = listed.tasks.filter((task) => (tagOf(task, FLEET_TAG) ?? this.fleetName) === this.fleetName);
    const ports = await this.portsOf(tasks.filter((task) => task.lastStatus === 'RUNNING'));
    // A standby only looks: what may be the leader's launch in flight is the leader's to finish or clean up.
    const acting = this.fence.mayAct();
    // At start-up, or on taking the lease over, nobody waits any more for a launch of an earlier manager that never came to run.
    const unfinished = atStartUp && acting ? tasks.filter((task) => task.lastStatus !== 'RUNNING' && task.startedBy === STARTED_BY) : [];
    for (const task of unfinished) await this.stopTask(task.taskArn as string, 'unfinished launch of an earlier manager');

    const up: UpTask[] = [];
    const unresolved: UnadoptedServer[] = [];
    for (const task of tasks) {
      const port = ports.get(task.taskArn as string);
      if (port && 'port' in port) up.push({ task, port: port.port });
      else if (port) unresolved.push({ id: serverIdOf(task), reason: `task ${task.taskArn}: ${port.unresolved}` });
    }
    this.lastUnadopted = unresolved;
    this.metrics.unadoptedTasks(unresolved.length);
    if (unresolved.length > 0) {
      this.logger.warn({ unresolved }, `${unresolved.length} RUNNING task(s) of the family have no game port the manager can resolve; left alone, not adopted (check ECS_CONTAINER_NAME and ECS_CONTAINER_PORT)`);
    }

    // The orphan sweep and the address lookups are independent: run them side by side.
    const [addresses] = await Promise.all([
      this.onEc2 ? this.ec2AddressesOf(up.map((u) => u.task)) : this.eniAddressesOf(up.map((u) => u.task)),
      this.onEc2 && acting ? this.terminateOrphans(tasks.filter((task) => !unfinished.includes(task)), missing) : undefined,
    ]);
    const servers = up.flatMap(({ task, port }) => {
      const server = this.toServer(task, port, addresses.get(task.taskArn as string));
      return server ? [server] : [];
    });
    const stillRunning = tasks.filter((task) => !unfinished.includes(task)).map(serverIdOf);
    return { servers, running: missing.length > 0 ? undefined : new Set(stillRunning) };
  }

  unadopted(): readonly UnadoptedServer[] {
    return this.lastUnadopted;
  }

  async launch(request: LaunchRequest): Promise<PlatformServer> {
    const deadline = Date.now() + this.launchTimeoutMs;
    return this.onEc2 ? this.launchOnEc2(request, deadline) : this.launchOnFargate(request, deadline);
  }

  /**
   * Stops the task; on EC2, once ECS reports it stopped (its container's stop timeout respected),
   * terminates its instance if no other task runs there. An earlier manager's instances, which
   * carry no fleet tag, go the same way: they were launched for this one task.
   */
  async stop(server: ServerRef): Promise<void> {
    const { taskArn, instanceId } = server.platformIds;
    if (taskArn) {
      await this.stopTask(taskArn, 'stopped by fleet-manager');
      // Past the stop timeout the check below decides: a task still stopping keeps its instance, for the sweep to take later.
      if (instanceId) await this.taskStops.wait(taskArn, `task ${taskArn} to stop`, Date.now() + TASK_STOP_WAIT_MS).catch(() => undefined);
    }
    if (!instanceId) return;
    if ((await this.tasks.busyInstances([instanceId])).has(instanceId)) {
      this.logger.warn({ instanceId }, `instance ${instanceId} still holds a task; not terminated (the sweep takes it once it holds none)`);
      return;
    }
    await this.instances.terminate([instanceId]);
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
      const taskArn = await this.startTask(
        request.id,
        deadline,
        (tags) =>
          this.ecs.send(
            new StartTaskCommand({ cluster: this.cluster, taskDefinition: this.taskDefinition, containerInstances: [containerInstance], tags, startedBy: STARTED_BY }),
          ),
        () => this.tasks.startedOn(containerInstance, request.id),
      );
      const { task, port } = await this.waitRunning(taskArn, deadline);
      const addresses = (await this.instances.addresses([instanceId])).get(instanceId);
      const server = this.toServer(task, port, addresses, instanceId);
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
    const taskArn = await this.startTask(request.id, deadline, (tags, attempt) =>
      this.ecs.send(
        new RunTaskCommand({
          cluster: this.cluster,
          taskDefinition: this.taskDefinition,
          launchType: 'FARGATE',
          count: 1,
          // The SDK sends the same token on each of its retries, so a retry after a lost answer
          // returns the same task (it would make one up if none were given). Ours names the server
          // and the attempt: a task is traced to its launch, and an attempt after a capacity
          // failure is a request of its own, whatever ECS kept of the last.
          clientToken: `${request.id}-${attempt}`,
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
      const { task, port } = await this.waitRunning(taskArn, deadline);
      const addresses = (await this.eniAddressesOf([task])).get(taskArn);
      const server = this.toServer(task, port, addresses);
      if (!server) throw new Error(`task ${taskArn} runs but has no address`);
      return server;
    } catch (error) {
      await this.stopTask(taskArn, 'launch failed').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Starts the task, retrying capacity failures (RESOURCE:MEMORY, AGENT, ...) until the deadline.
   * A failure that no retry can mend (the instance lacks an attribute the task needs, or is gone
   * or inactive) fails the launch at once. Before a failure counts, `alreadyStarted` looks for a
   * task an earlier attempt started: the SDK retries a call whose answer was lost, and the retry
   * of a StartTask that did start the task finds the instance taken, by that very task.
   */
  private async startTask(
    serverId: string,
    deadline: number,
    start: (tags: { key: string; value: string }[], attempt: number) => Promise<{ tasks?: Task[]; failures?: { reason?: string; arn?: string }[] }>,
    alreadyStarted: () => Promise<string | undefined> = async () => undefined,
  ): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const answer = await start(
        [
          { key: SERVER_ID_TAG, value: serverId },
          { key: FLEET_TAG, value: this.fleetName },
        ],
        attempt,
      );
      // A look that fails is no answer: the next attempt looks again.
      const taskArn = answer.tasks?.[0]?.taskArn ?? (await alreadyStarted().catch(() => undefined));
      if (taskArn) return taskArn;
      const reasons = (answer.failures ?? []).map((f) => f.reason ?? '');
      const reason = reasons.join(', ') || 'no task and no failure';
      if (reasons.length > 0 && reasons.every(isPermanentStartFailure)) throw new Error(`task for ${serverId} cannot start: ${reason}`);
      if (Date.now() + this.pollMs > deadline) throw new Error(`task for ${serverId} could not start: ${reason}`);
      this.logger.warn({ serverId, reason }, `task for ${serverId} could not start (${reason}); retrying`);
      await sleep(this.pollMs);
    }
  }

  private async waitRunning(taskArn: string, deadline: number): Promise<UpTask> {
    this.startedAt.set(taskArn, Date.now());
    try {
      return await this.starts.wait(taskArn, `task ${taskArn} to run with a game port`, deadline);
    } finally {
      this.startedAt.delete(taskArn);
    }
  }

  /**
   * The game port of each task, from its task definition (asked once per revision). A definition
   * that cannot be read (a missing permission, a deleted revision) leaves its tasks unresolved,
   * not the whole fleet unknown.
   */
  private async portsOf(tasks: readonly Task[]): Promise<Map<string, GamePort>> {
    const definitions = await this.definitions.all(tasks.map((task) => task.taskDefinitionArn as string));
    return new Map(
      tasks.map((task) => {
        const definition = definitions.get(task.taskDefinitionArn as string);
        const port: GamePort = definition instanceof Error ? { unresolved: `its task definition could not be read: ${definition.message}` } : gamePortOf(task, definition!, this.gameContainer);
        return [task.taskArn as string, port];
      }),
    );
  }

  private async lookUpJoins(instanceIds: string[]): Promise<Map<string, PollOutcome<string>>> {
    const joined = await this.tasks.containerInstancesOf(instanceIds);
    return new Map([...joined].map(([instanceId, arn]) => [instanceId, { value: arn }]));
  }

  /**
   * Each starting task's fate so far: up with its game port, stopped for good (or missing well
   * after its start), or not decided yet (left out).
   */
  private async lookUpStarts(taskArns: string[]): Promise<Map<string, PollOutcome<UpTask>>> {
    const { tasks } = await this.tasks.describe(taskArns);
    const found = new Map(tasks.map((task) => [task.taskArn as string, task]));
    const ports = await this.portsOf(tasks.filter((task) => task.lastStatus === 'RUNNING'));
    const outcomes = new Map<string, PollOutcome<UpTask>>();
    for (const arn of taskArns) {
      const task = found.get(arn);
      const port = ports.get(arn);
      if (task?.lastStatus === 'STOPPED') outcomes.set(arn, { error: new Error(`task ${arn} stopped: ${task.stoppedReason ?? 'no reason given'}`) });
      else if (!task && Date.now() - (this.startedAt.get(arn) ?? 0) > MISSING_AFTER_START_MS) outcomes.set(arn, { error: new Error(`task ${arn} is missing`) });
      else if (task && port && 'port' in port) outcomes.set(arn, { value: { task, port: port.port } });
    }
    return outcomes;
  }

  /** Stopping tasks that ECS reports STOPPED, or no longer knows at all. */
  private async lookUpStops(taskArns: string[]): Promise<Map<string, PollOutcome<true>>> {
    const { tasks, missing } = await this.tasks.describe(taskArns);
    const stopped = [...tasks.filter((task) => task.lastStatus === 'STOPPED').map((task) => task.taskArn as string), ...missing];
    return new Map(stopped.map((arn) => [arn, { value: true as const }]));
  }

  /**
   * StopTask; a task already stopped or unknown is not an error. ECS answers an unknown task with
   * InvalidParameterException, a name it gives many other mistakes too, so what became of the task
   * is asked rather than read from the message.
   */
  private async stopTask(taskArn: string, reason: string): Promise<void> {
    try {
      await this.ecs.send(new StopTaskCommand({ cluster: this.cluster, task: taskArn, reason }));
    } catch (error) {
      const { tasks, missing } = await this.tasks.describe([taskArn]);
      if (missing.includes(taskArn) || tasks[0]?.desiredStatus === 'STOPPED') return;
      throw error;
    }
  }


  private async ec2AddressesOf(tasks: readonly Task[]): Promise<Map<string, InstanceAddresses & { instanceId?: string }>> {
    const instanceOf = await this.tasks.instancesOf(tasks.map((t) => t.containerInstanceArn).filter((arn): arn is string => !!arn));
    const addresses = await this.instances.addresses([...instanceOf.values()]);
    const byTask = new Map<string, InstanceAddresses & { instanceId?: string }>();
    for (const task of tasks) {
      const instanceId = instanceOf.get(task.containerInstanceArn ?? '');
      // Only an instance the manager may terminate is named in the server's ids; stopping the server then ends it too.
      if (instanceId) byTask.set(task.taskArn as string, { ...addresses.get(instanceId), instanceId: addresses.get(instanceId)?.ours ? instanceId : undefined });
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

  /**
   * Instances that are provably this fleet's and provably abandoned: tagged with its fleet and
   * cluster, launched longer than LAUNCH_TIMEOUT ago (a younger one may be a launch in flight, of
   * this manager or of one deploying beside it), for a server none of the listed tasks stands
   * for, and running no task at all (or never joined the cluster). While DescribeTasks misses a
   * listed task, an instance may only look abandoned: the sweep waits for a complete view.
   */
  private async terminateOrphans(tasks: readonly Task[], missing: readonly string[]): Promise<void> {
    if (missing.length > 0) {
      this.logger.warn({ missing }, `DescribeTasks missed ${missing.length} listed task(s); no instance is swept until it sees them all`);
      return;
    }
    const serving = new Set(tasks.map(serverIdOf));
    const oldEnough = Date.now() - this.launchTimeoutMs;
    const candidates = (await this.instances.ofFleet()).filter((i) => i.launchedAt < oldEnough && !serving.has(i.serverId)).map((i) => i.instanceId);
    if (candidates.length === 0) return;
    const busy = await this.tasks.busyInstances(candidates);
    const orphans = candidates.filter((instanceId) => !busy.has(instanceId));
    if (orphans.length === 0) return;
    this.logger.warn({ instances: orphans }, `terminating ${orphans.length} instance(s) of fleet ${this.fleetName} left without a task`);
    await this.instances.terminate(orphans);
  }

  private toServer(task: Task, port: number, found?: InstanceAddresses & { instanceId?: string }, instanceId = found?.instanceId): PlatformServer | undefined {
    const pick = (kind: AddressKind) => (kind === 'public' ? found?.publicIp : found?.privateIp);
    const clientIp = pick(this.settings.CLIENT_ADDRESS);
    const probeIp = pick(this.settings.PROBE_ADDRESS);
    if (!clientIp || !probeIp) {
      this.logger.warn({ taskArn: task.taskArn }, `task ${task.taskArn} has no ${this.settings.CLIENT_ADDRESS}/${this.settings.PROBE_ADDRESS} address; not adopted`);
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
      version: task.taskDefinitionArn ?? '',
      // Any other revision, older or newer (an operator going back to one): launches no longer use it.
      outdated: this.launchRevision !== undefined && revisionOf(task.taskDefinitionArn) !== this.launchRevision,
      platformIds,
    };
  }

  /**
   * The revision launches use: the one SERVER_TASK_DEFINITION names, or, for a bare family, its
   * latest ACTIVE revision as ECS answers now (one DescribeTaskDefinition per listing), so that
   * registering a new revision rolls it out.
   */
  private async refreshLaunchRevision(): Promise<void> {
    const named = /:(\d+)$/.exec(this.taskDefinition);
    if (named) {
      this.launchRevision = Number(named[1]);
      return;
    }
    try {
      const answer = await this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: this.taskDefinition }));
      this.launchRevision = answer.taskDefinition?.revision ?? this.launchRevision;
    } catch (error) {
      // The listing goes on: a rollout waits for the next one, as it would for a slow answer.
      this.logger.warn({ err: error }, `the latest revision of ${this.taskDefinition} could not be read; keeping revision ${this.launchRevision ?? 'unknown'} for now`);
    }
  }
}
