import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RunTaskCommand,
  StartTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-ecs';
import type { MetadataBearer } from '@smithy/types';
import { AwsCommand, AwsStub, mockClient } from 'aws-sdk-client-mock';
import { join } from 'node:path';
import { AwsService, FakeAwsClosedError, FaultKind, injectedError, responseMetadata, timeoutError } from './aws-errors';
import { CLUSTER_TAG, DRAINING_TAG, FLEET_TAG, newServerId, parseTaskDefinition, SERVER_ID_TAG, STARTED_BY } from './aws-names';
import { CallLog, RecordedCall } from './call-log';
import { EcsHttpEndpoint, EcsWireOperation, pointSdkAtEcs, startEcsHttpEndpoint } from './ecs-http-endpoint';
import { ContainerInstanceSnapshot, FakeLaunchType, FakeTask, TaskSnapshot, taskSnapshot } from './ecs-state';
import { Answer, FakeEc2, InstanceSnapshot } from './fake-ec2';
import { FakeEcs } from './fake-ecs';
import { Faults, operationName } from './faults';
import { GameServerProcesses } from './game-server-processes';
import { PublicNat } from './public-nat';
import { Scheduler } from './scheduler';
import { FakeTaskDefinition, TaskDefinitions } from './task-definitions';

export type { FaultKind } from './aws-errors';
export type { RecordedCall } from './call-log';
export type { ContainerInstanceSnapshot, FakeLaunchType, TaskSnapshot } from './ecs-state';
export type { InstanceSnapshot } from './fake-ec2';
export { CLUSTER_TAG, DRAINING_TAG, FLEET_TAG, SERVER_ID_TAG, STARTED_BY } from './aws-names';
export type { FakeTaskDefinition } from './task-definitions';

export interface FakeAwsOptions {
  /** The one cluster that exists; calls naming another get ClusterNotFoundException. */
  cluster?: string;
  region?: string;
  accountId?: string;
  /** RunInstances -> the instance is `running`. */
  instanceBootMs?: number;
  /** RunInstances -> its container instance is registered (if the instance still runs). */
  registerDelayMs?: number;
  /** StartTask/RunTask -> the task is RUNNING (plus the time its game server takes to listen). */
  taskStartMs?: number;
  /** StopTask -> STOPPED, for a task without a process (one with a process stops when it exits). */
  taskStopMs?: number;
  /** TerminateInstances -> `shutting-down` becomes `terminated`. */
  instanceTerminateMs?: number;
  /** SIGTERM -> SIGKILL for a game server that does not exit (ECS's stopTimeout). */
  stopTimeoutMs?: number;
  /** Added to every call, before it is served. */
  latencyMs?: number;
  /**
   * DescribeTasks is eventually consistent: for this long after a task is created it answers the
   * task in `failures` (MISSING), though RunTask/StartTask returned it and ListTasks lists it
   * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html).
   */
  describeLagMs?: number;
  /**
   * ListTasks is eventually consistent too: for this long after StopTask it goes on listing the
   * task under desired status RUNNING ("Recently stopped tasks might appear in the returned
   * results", https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html);
   * DescribeTasks shows its desired status STOPPED meanwhile.
   */
  listStoppedLagMs?: number;
  /** How long a call injected with 'timeout' (or 'lost-answer') hangs before it rejects; ECS over HTTP never answers it, and the client's deadline ends it. */
  timeoutMs?: number;
  /** Spawn a real sample game server for every task that runs. */
  runGameServers?: boolean;
  /** CAPACITY given to each game server. */
  capacity?: number;
  gameServerScript?: string;
  gameServerReadyTimeoutMs?: number;
  /**
   * The account's task definitions. Default: one, `taskDefinition` (bridge networking), whose one
   * container `containerName` maps `containerPort` to a dynamic host port.
   */
  taskDefinitions?: readonly FakeTaskDefinition[];
  containerName?: string;
  containerPort?: number;
  /** What seeded tasks run. */
  taskDefinition?: string;
  /** When given, RunInstances knows only these launch templates; else any name is accepted. */
  launchTemplates?: readonly string[];
}

export type ResolvedFakeAwsOptions = Readonly<Required<Omit<FakeAwsOptions, 'launchTemplates' | 'taskDefinitions'>>> & {
  readonly launchTemplates?: readonly string[];
  readonly taskDefinitions?: readonly FakeTaskDefinition[];
};

export interface SeedOptions {
  /** Tag the tasks `fleet-manager:draining=true`. */
  draining?: boolean;
  launchType?: FakeLaunchType;
  /** Defaults to the fake's `runGameServers`; scale tests with hundreds of tasks turn it off. */
  runGameServers?: boolean;
  taskDefinition?: string;
  /**
   * The fleet that launched them, as a manager tags its tasks and instances now. Absent: tasks
   * untagged, as an earlier manager left them, and instances tagged with the task family.
   */
  fleet?: string;
}

const DEFAULTS: ResolvedFakeAwsOptions = {
  cluster: 'default',
  region: 'ap-south-1',
  accountId: '123456789012',
  instanceBootMs: 50,
  registerDelayMs: 150,
  taskStartMs: 100,
  taskStopMs: 50,
  instanceTerminateMs: 50,
  stopTimeoutMs: 3000,
  latencyMs: 0,
  describeLagMs: 0,
  listStoppedLagMs: 0,
  timeoutMs: 100,
  runGameServers: true,
  capacity: 10,
  gameServerScript: join(__dirname, '..', '..', '..', 'sample-game-server', 'server.js'),
  gameServerReadyTimeoutMs: 10_000,
  containerName: 'gameserver',
  containerPort: 8000,
  taskDefinition: 'LaunchGameserver',
};

/**
 * ECS served over HTTP on loopback instead of mocked (EC2 stays mocked): ECSClients reach it
 * through AWS_ENDPOINT_URL_ECS, set from install to close, so the SDK's whole middleware stack
 * runs, its retries included, and a fault may be retried by the SDK as AWS's would be.
 */
export interface FakeAwsOverHttpOptions extends FakeAwsOptions {
  ecsOverHttp: true;
}

type CommandClass<I extends object, O extends MetadataBearer> = new (input: I) => AwsCommand<I, O>;
// aws-sdk-client-mock types its stubs per client; the fake routes commands of two clients through one helper.
type AnyStub = AwsStub<any, any, any>;
// One list of ECS operations for both ways of reaching them; each pair is typed where it is made (ecsRoute).
type Route = { readonly command: CommandClass<any, any>; readonly handler: (input: any) => Answer<any> };
const ecsRoute = <I extends object, O extends MetadataBearer>(command: CommandClass<I, O>, handler: (input: I) => Answer<O>): Route => ({ command, handler });

/**
 * A stateful fake of the ECS and EC2 calls the manager makes, installed with aws-sdk-client-mock
 * on the SDK's client classes, so every ECSClient and EC2Client created meanwhile is served by it
 * (or, with `ecsOverHttp`, ECS on loopback: see FakeAwsOverHttpOptions).
 * Close it in afterEach/afterAll: that restores the clients and kills every game server it ran.
 */
export class FakeAws {
  readonly options: ResolvedFakeAwsOptions;
  private readonly scheduler = new Scheduler();
  private readonly faults = new Faults();
  private readonly log = new CallLog();
  private readonly processes: GameServerProcesses;
  private readonly nat = new PublicNat();
  private readonly ec2: FakeEc2;
  private readonly ecs: FakeEcs;
  private readonly taskDefinitions: TaskDefinitions;
  private readonly mocks: AnyStub[] = [];
  private http?: { readonly endpoint: EcsHttpEndpoint; readonly restoreEnv: () => void };
  private closed = false;

  /** With `ecsOverHttp`, resolves once ECS's endpoint listens. */
  static install(options: FakeAwsOverHttpOptions): Promise<FakeAws>;
  static install(options?: FakeAwsOptions): FakeAws;
  static install(options: FakeAwsOptions | FakeAwsOverHttpOptions = {}): FakeAws | Promise<FakeAws> {
    const { ecsOverHttp, ...rest } = options as Partial<FakeAwsOverHttpOptions>;
    const fake = new FakeAws(rest);
    fake.installMocks(!ecsOverHttp);
    return ecsOverHttp ? fake.serveEcsOverHttp() : fake;
  }

  private constructor(options: FakeAwsOptions) {
    this.options = { ...DEFAULTS, ...withoutUndefined(options) };
    const o = this.options;
    this.processes = new GameServerProcesses(o.gameServerScript, o.capacity, o.gameServerReadyTimeoutMs, this.scheduler);
    // EC2 tells ECS of launches and terminations; ECS asks EC2 for instance states and ENIs.
    this.ec2 = new FakeEc2(o, this.scheduler, {
      launched: (id) => this.ecs.launched(id),
      terminating: (id) => this.ecs.terminating(id),
    });
    this.taskDefinitions = new TaskDefinitions(
      o.taskDefinitions ?? [{ family: o.taskDefinition, networkMode: 'bridge', containers: [{ name: o.containerName, containerPort: o.containerPort }] }],
    );
    this.ecs = new FakeEcs(o, {
      scheduler: this.scheduler,
      processes: this.processes,
      nat: this.nat,
      ec2: this.ec2,
      capacityFailure: () => this.faults.takeCapacityFailure(),
      taskDefinitions: this.taskDefinitions,
    });
  }

  /** The next `times` calls of `operation` (e.g. 'DescribeTasks') fail with `kind`, after being recorded. */
  failNext(operation: string, times: number, kind: FaultKind): void {
    this.faults.failNext(operation, positive(times), kind);
  }

  /** The next `times` StartTask/RunTask calls start nothing and answer failures[] with `reason`. */
  failStartTask(times: number, reason = 'RESOURCE:MEMORY'): void {
    this.faults.failStartTask(positive(times), reason);
  }

  /** ECS's URL on loopback, with `ecsOverHttp`. */
  get ecsEndpoint(): string {
    if (!this.http) throw new Error('FakeAws serves ECS over HTTP only when installed with { ecsOverHttp: true }');
    return this.http.endpoint.url;
  }

  /** Every call received (failed ones included), or those of one operation; `.length` counts them. */
  calls(operation?: string): RecordedCall[] {
    return this.log.calls(operation);
  }

  /**
   * The next `times` DescribeTasks or DescribeContainerInstances calls that name this task or
   * container instance answer it in `failures` (MISSING), as the ECS API's eventual consistency may
   * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html).
   */
  missInDescribe(arn: string, times: number): void {
    this.ecs.missInDescribe(arn, positive(times));
  }

  /** Registers a task definition (a new revision of a family, say), as RegisterTaskDefinition would. */
  registerTaskDefinition(definition: FakeTaskDefinition): void {
    this.taskDefinitions.register(definition);
  }

  /** Makes an instance look launched `ms` earlier than it was, as if it had run that long. */
  backdateInstance(instanceId: string, ms: number): void {
    this.ec2.backdate(instanceId, ms);
  }

  /** How many connections came in on a task's public address (see PublicNat): game clients', and probes' where PROBE_ADDRESS is public. */
  connectionsTo(publicAddress: string): number {
    return this.nat.connectionsTo(publicAddress);
  }

  instances(): InstanceSnapshot[] {
    return this.ec2.snapshots();
  }

  tasks(): TaskSnapshot[] {
    return this.ecs.taskSnapshots();
  }

  containerInstances(): ContainerInstanceSnapshot[] {
    return this.ecs.containerInstanceSnapshots();
  }

  /**
   * `count` RUNNING tasks as the manager leaves them: tagged with a `gs-…` server id (and draining
   * if asked), started by `fleet-manager`; on EC2 each with its own running, tagged instance and
   * ACTIVE container instance. Resolves once their game servers (if any) listen.
   */
  async seedTasks(count: number, options: SeedOptions = {}): Promise<TaskSnapshot[]> {
    const seeded = await Promise.all(Array.from({ length: count }, () => this.seedOne(options)));
    return seeded.map(taskSnapshot);
  }

  /** Restores the SDK clients (and ECS's endpoint variable), cancels every pending timer and kills every game server. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const mock of this.mocks) mock.restore();
    this.http?.restoreEnv();
    this.scheduler.close();
    await this.http?.endpoint.close();
    await this.processes.stopAll();
    await this.nat.closeAll();
  }

  private seedOne(options: SeedOptions): Promise<FakeTask> {
    const serverId = newServerId();
    const launchType = options.launchType ?? 'EC2';
    const tags = new Map([[SERVER_ID_TAG, serverId]]);
    if (options.draining) tags.set(DRAINING_TAG, 'true');
    if (options.fleet) tags.set(FLEET_TAG, options.fleet);
    const taskDefinition = options.taskDefinition ?? this.options.taskDefinition;
    const ec2InstanceId =
      launchType === 'EC2'
        ? this.ec2.addRunningInstance(
            new Map([
              [SERVER_ID_TAG, serverId],
              [CLUSTER_TAG, this.options.cluster],
              [FLEET_TAG, options.fleet ?? parseTaskDefinition(taskDefinition).family],
            ]),
          )
        : undefined;
    return this.ecs.seedTask({
      taskDefinition,
      launchType,
      tags,
      startedBy: STARTED_BY,
      runProcess: options.runGameServers ?? this.options.runGameServers,
      ec2InstanceId,
    });
  }

  private ecsRoutes(): Route[] {
    return [
      ecsRoute(ListContainerInstancesCommand, (input) => this.ecs.listContainerInstances(input)),
      ecsRoute(DescribeContainerInstancesCommand, (input) => this.ecs.describeContainerInstances(input)),
      ecsRoute(StartTaskCommand, (input) => this.ecs.startTask(input)),
      ecsRoute(RunTaskCommand, (input) => this.ecs.runTask(input)),
      ecsRoute(DescribeTasksCommand, (input) => this.ecs.describeTasks(input)),
      ecsRoute(ListTasksCommand, (input) => this.ecs.listTasks(input)),
      ecsRoute(StopTaskCommand, (input) => this.ecs.stopTask(input)),
      ecsRoute(TagResourceCommand, (input) => this.ecs.tagResource(input)),
      ecsRoute(UntagResourceCommand, (input) => this.ecs.untagResource(input)),
      ecsRoute(DescribeClustersCommand, (input) => this.ecs.describeClusters(input)),
      ecsRoute(DescribeTaskDefinitionCommand, (input) => this.ecs.describeTaskDefinition(input)),
    ];
  }

  private installMocks(mockEcs: boolean): void {
    if (mockEcs) {
      const ecs = this.stub(mockClient(ECSClient), 'ECS');
      for (const { command, handler } of this.ecsRoutes()) this.route('ecs', ecs, command, handler);
    }

    const ec2 = this.stub(mockClient(EC2Client), 'EC2');
    this.route('ec2', ec2, RunInstancesCommand, (input) => this.ec2.runInstances(input));
    this.route('ec2', ec2, DescribeInstancesCommand, (input) => this.ec2.describeInstances(input));
    this.route('ec2', ec2, TerminateInstancesCommand, (input) => this.ec2.terminateInstances(input));
    this.route('ec2', ec2, DescribeNetworkInterfacesCommand, (input) => this.ec2.describeNetworkInterfaces(input));
  }

  private async serveEcsOverHttp(): Promise<FakeAws> {
    const operations = new Map<string, EcsWireOperation>(
      this.ecsRoutes().map(({ command, handler }) => {
        const operation = operationName(command.name);
        return [operation, (input, attempt) => this.serve('ecs', operation, input, handler, attempt)];
      }),
    );
    const endpoint = await startEcsHttpEndpoint(operations);
    this.http = { endpoint, restoreEnv: pointSdkAtEcs(endpoint.url) };
    return this;
  }

  /** A command the fake does not know fails loudly instead of answering `undefined`. */
  private stub(mock: AnyStub, service: string): AnyStub {
    mock.send.callsFake((command: object) => Promise.reject(new Error(`FakeAws does not implement ${service} ${command.constructor.name}`)));
    this.mocks.push(mock);
    return mock;
  }

  private route<I extends object, O extends MetadataBearer>(service: AwsService, mock: AnyStub, command: CommandClass<I, O>, handler: (input: I) => Answer<O>): void {
    const operation = operationName(command.name);
    mock.on(command).callsFake((input: I) => this.serve(service, operation, input, handler));
  }

  /** What every call goes through: recorded, delayed, maybe failed as asked, then answered. */
  private async serve<I, O extends MetadataBearer>(service: AwsService, operation: string, input: I, handler: (input: I) => Answer<O>, attempt?: number): Promise<O> {
    this.log.record(operation, input, attempt);
    if (this.options.latencyMs > 0) await this.scheduler.sleep(this.options.latencyMs);
    if (this.closed) throw new FakeAwsClosedError();
    const fault = this.faults.take(operation);
    if (fault === 'lost-answer') {
      try {
        handler(input);
      } catch {
        // An error answer is lost like any other.
      }
    }
    if (fault !== undefined) throw await this.faultError(service, fault);
    return { ...handler(input), $metadata: responseMetadata(200) } as O;
  }

  private async faultError(service: AwsService, fault: FaultKind): Promise<Error> {
    if (fault instanceof Error) return fault;
    if (fault !== 'timeout' && fault !== 'lost-answer') return injectedError(service, fault);
    // Over HTTP the endpoint leaves the connection silent, and the client's own deadline ends the wait.
    if (!(service === 'ecs' && this.http)) await this.scheduler.sleep(this.options.timeoutMs);
    return timeoutError(this.options.timeoutMs);
  }
}

function positive(times: number): number {
  if (!Number.isInteger(times) || times < 1) throw new Error(`times must be a whole number >= 1, not ${times}`);
  return times;
}

/** `{ latencyMs: undefined }` means "the default", not "no value". */
function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
