import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
  Instance,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  ClusterNotFoundException,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  ECSClient,
  InvalidParameterException,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RunTaskCommand,
  StartTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  Task,
  UntagResourceCommand,
} from '@aws-sdk/client-ecs';
import { get } from 'node:http';
import { join } from 'node:path';
import { isAlive, waitFor } from '../wait';
import { DRAINING_TAG, FakeAws, FakeTaskDefinition, SERVER_ID_TAG } from './fake-aws';

const clientConfig = { region: 'ap-south-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };

interface Health {
  available_capacity: number;
  ready_to_close: boolean;
}

/** A Fargate game server's task definition: awsvpc networking, container port 7777. */
const AWSVPC_DEFINITION: FakeTaskDefinition = { family: 'LaunchGameserver', networkMode: 'awsvpc', containers: [{ name: 'gameserver', containerPort: 7777 }] };

/** Each kind of address from a block of its own (ADDRESS_BLOCKS), so that one cannot pass for another. */
const INSTANCE_PRIVATE = expect.stringMatching(/^127\.1\.\d+\.\d+$/);
const INSTANCE_PUBLIC = expect.stringMatching(/^127\.2\.\d+\.\d+$/);
const ENI_PRIVATE = /^127\.3\.\d+\.\d+$/;
const ENI_PUBLIC = expect.stringMatching(/^127\.4\.\d+\.\d+$/);

/** `host` as the fake described it: undefined is a failure here, not http's default of localhost. */
function health(port: number, host: string | undefined): Promise<Health> {
  if (host === undefined) return Promise.reject(new Error('no address to ask'));
  return new Promise((resolve, reject) => {
    const request = get({ host, port, path: '/health/', agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(JSON.parse(body) as Health));
    });
    request.on('error', reject);
  });
}

function hostPortOf(task: Task): number | undefined {
  return task.containers?.[0]?.networkBindings?.[0]?.hostPort;
}

describe('FakeAws', () => {
  let fake: FakeAws;
  let ecs: ECSClient;
  let ec2: EC2Client;

  function install(options: Parameters<typeof FakeAws.install>[0] = {}): FakeAws {
    fake = FakeAws.install(options);
    return fake;
  }

  beforeEach(() => {
    ecs = new ECSClient(clientConfig);
    ec2 = new EC2Client(clientConfig);
  });

  afterEach(async () => {
    await fake?.close();
  });

  const describeTask = async (taskArn: string, include?: 'TAGS') =>
    (await ecs.send(new DescribeTasksCommand({ cluster: 'default', tasks: [taskArn], include: include ? [include] : undefined }))).tasks?.[0];

  describe('listing and describing at scale', () => {
    it('pages ListTasks over 250 tasks as 100 + 100 + 50', async () => {
      install({ runGameServers: false });
      await fake.seedTasks(250);

      const pages: number[] = [];
      const arns = new Set<string>();
      let nextToken: string | undefined;
      do {
        const page = await ecs.send(new ListTasksCommand({ cluster: 'default', family: 'LaunchGameserver', desiredStatus: 'RUNNING', nextToken }));
        pages.push(page.taskArns?.length ?? 0);
        page.taskArns?.forEach((arn) => arns.add(arn));
        nextToken = page.nextToken;
      } while (nextToken);

      expect(pages).toEqual([100, 100, 50]);
      expect(arns.size).toBe(250);
      expect(fake.calls('ListTasks')).toHaveLength(3);
    });

    it('serves a fleet of 10,000 seeded tasks through ListTasks and DescribeTasks', async () => {
      install({ runGameServers: false });
      await fake.seedTasks(10_000);
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await ecs.send(new ListTasksCommand({ family: 'LaunchGameserver', maxResults: 100, nextToken }));
        arns.push(...page.taskArns!);
        nextToken = page.nextToken;
      } while (nextToken);
      expect(new Set(arns).size).toBe(10_000);
      const described = await ecs.send(new DescribeTasksCommand({ tasks: arns.slice(-100), include: ['TAGS'] }));
      expect(described.tasks!.every((task) => task.lastStatus === 'RUNNING' && task.tags!.length === 1)).toBe(true);
    });

    it('finds tasks by family whatever form the task definition was given in, and only RUNNING ones by default', async () => {
      const revision = (family: string, n: number) => ({ family, revision: n, networkMode: 'bridge' as const, containers: [{ name: 'gameserver', containerPort: 8000 }] });
      install({ runGameServers: false, taskDefinitions: [revision('LaunchGameserver', 3), revision('LaunchGameserver', 4), revision('Other', 1)] });
      await fake.seedTasks(2, { taskDefinition: 'LaunchGameserver:3' });
      await fake.seedTasks(1, { taskDefinition: 'arn:aws:ecs:ap-south-1:123456789012:task-definition/LaunchGameserver:4' });
      const [other] = await fake.seedTasks(1, { taskDefinition: 'Other' });
      const [stopped] = await fake.seedTasks(1);
      await ecs.send(new StopTaskCommand({ cluster: 'default', task: stopped.taskArn }));

      const listed = await ecs.send(new ListTasksCommand({ family: 'LaunchGameserver' }));
      expect(listed.taskArns).toHaveLength(3);
      expect(listed.taskArns).not.toContain(other.taskArn);
      const stoppedOnes = await ecs.send(new ListTasksCommand({ family: 'LaunchGameserver', desiredStatus: 'STOPPED' }));
      expect(stoppedOnes.taskArns).toEqual([stopped.taskArn]);
      const [described] = (await ecs.send(new DescribeTasksCommand({ tasks: [listed.taskArns![0]] }))).tasks!;
      expect(described.group).toBe('family:LaunchGameserver');
      expect(described.taskDefinitionArn).toBe('arn:aws:ecs:ap-south-1:123456789012:task-definition/LaunchGameserver:3');
    });

    it('refuses DescribeTasks with 101 tasks as ECS does, and reports unknown tasks as MISSING', async () => {
      install({ runGameServers: false });
      const seeded = await fake.seedTasks(101);
      const arns = seeded.map((task) => task.taskArn);

      const tooMany = ecs.send(new DescribeTasksCommand({ cluster: 'default', tasks: arns }));
      await expect(tooMany).rejects.toBeInstanceOf(InvalidParameterException);
      await expect(tooMany).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'taskIds can have at most 100 items.', $fault: 'client' });

      const unknown = 'arn:aws:ecs:ap-south-1:123456789012:task/default/0123456789abcdef0123456789abcdef';
      const answer = await ecs.send(new DescribeTasksCommand({ cluster: 'default', tasks: [...arns.slice(0, 99), unknown] }));
      expect(answer.tasks).toHaveLength(99);
      expect(answer.failures).toEqual([{ arn: unknown, reason: 'MISSING' }]);
      expect(answer.tasks![0].tags).toBeUndefined();
    });

    it('answers a task or container instance it is told to miss in failures (MISSING) for that many describes, then describes it again', async () => {
      install({ runGameServers: false });
      const [task] = await fake.seedTasks(1);
      const containerInstances = [task.containerInstanceArn!];
      fake.missInDescribe(task.taskArn, 1);
      fake.missInDescribe(task.containerInstanceArn!, 2);
      expect(await ecs.send(new DescribeTasksCommand({ cluster: 'default', tasks: [task.taskArn] }))).toMatchObject({ tasks: [], failures: [{ arn: task.taskArn, reason: 'MISSING' }] });
      expect((await ecs.send(new DescribeTasksCommand({ cluster: 'default', tasks: [task.taskArn] }))).tasks).toHaveLength(1);
      for (let i = 0; i < 2; i++) {
        expect(await ecs.send(new DescribeContainerInstancesCommand({ containerInstances }))).toMatchObject({ containerInstances: [], failures: [{ arn: task.containerInstanceArn, reason: 'MISSING' }] });
      }
      expect((await ecs.send(new DescribeContainerInstancesCommand({ containerInstances }))).containerInstances).toHaveLength(1);
    });

    it('with listStoppedLagMs, ListTasks goes on listing a task told to stop under RUNNING for that long, while DescribeTasks shows it told to stop', async () => {
      install({ runGameServers: false, listStoppedLagMs: 300 });
      const [task] = await fake.seedTasks(1);
      const listedRunning = async () => (await ecs.send(new ListTasksCommand({ cluster: 'default', desiredStatus: 'RUNNING' }))).taskArns;
      await ecs.send(new StopTaskCommand({ cluster: 'default', task: task.taskArn }));
      expect(await listedRunning()).toEqual([task.taskArn]);
      expect((await ecs.send(new ListTasksCommand({ cluster: 'default', desiredStatus: 'STOPPED' }))).taskArns).toEqual([task.taskArn]);
      expect(await describeTask(task.taskArn)).toMatchObject({ desiredStatus: 'STOPPED' });
      await waitFor('the lag to pass', async () => (await listedRunning())?.length === 0, 2000);
    });

    it('answers ClusterNotFoundException for any other cluster, and DescribeClusters with MISSING', async () => {
      install({ runGameServers: false, cluster: 'games' });
      await expect(ecs.send(new ListTasksCommand({ cluster: 'default' }))).rejects.toBeInstanceOf(ClusterNotFoundException);
      await expect(ecs.send(new ListTasksCommand({ cluster: 'arn:aws:ecs:ap-south-1:123456789012:cluster/games' }))).resolves.toMatchObject({ taskArns: [] });

      const clusters = await ecs.send(new DescribeClustersCommand({ clusters: ['games', 'other'] }));
      expect(clusters.clusters).toEqual([expect.objectContaining({ clusterName: 'games', status: 'ACTIVE' })]);
      expect(clusters.failures).toEqual([{ arn: 'arn:aws:ecs:ap-south-1:123456789012:cluster/other', reason: 'MISSING' }]);
    });

    it('seeds EC2 tasks as the manager leaves them: tagged tasks on tagged, running instances', async () => {
      install({ runGameServers: false });
      const [task] = await fake.seedTasks(1, { draining: true });
      const serverId = task.tags[SERVER_ID_TAG];
      expect(serverId).toMatch(/^gs-[0-9a-f]{12}$/);
      expect(task).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING', launchType: 'EC2', startedBy: 'fleet-manager' });
      expect(task.tags[DRAINING_TAG]).toBe('true');

      const { containerInstances } = await ecs.send(new DescribeContainerInstancesCommand({ containerInstances: [task.containerInstanceArn!] }));
      expect(containerInstances?.[0]).toMatchObject({ ec2InstanceId: task.ec2InstanceId, status: 'ACTIVE', runningTasksCount: 1 });

      const byTag = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: `tag:${SERVER_ID_TAG}`, Values: [serverId] },
            { Name: 'instance-state-name', Values: ['pending', 'running'] },
          ],
          MaxResults: 5,
        }),
      );
      const instance = byTag.Reservations?.[0]?.Instances?.[0];
      expect(instance).toMatchObject({ InstanceId: task.ec2InstanceId, State: { Name: 'running', Code: 16 }, PublicIpAddress: INSTANCE_PUBLIC, PrivateIpAddress: INSTANCE_PRIVATE });
      expect(instance?.PublicIpAddress).not.toBe(instance?.PrivateIpAddress);
    });

    it('pages DescribeInstances with MaxResults and NextToken, and filters by tag-key', async () => {
      install({ runGameServers: false });
      await fake.seedTasks(12);
      await ec2.send(new RunInstancesCommand({ LaunchTemplate: { LaunchTemplateName: 'defaultECS' }, MinCount: 1, MaxCount: 1 }));

      const sizes: number[] = [];
      let NextToken: string | undefined;
      do {
        const page = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: ['fleet-manager:*'] }], MaxResults: 5, NextToken }));
        sizes.push((page.Reservations ?? []).flatMap((r) => r.Instances ?? []).length);
        NextToken = page.NextToken;
      } while (NextToken);
      expect(sizes).toEqual([5, 5, 2]);

      await expect(ec2.send(new DescribeInstancesCommand({ MaxResults: 4 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
      await expect(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))).rejects.toMatchObject({
        name: 'InvalidInstanceID.NotFound',
        $fault: 'client',
        $metadata: expect.objectContaining({ httpStatusCode: 400 }),
      });
    });
  });

  describe('the EC2 launch type', () => {
    async function launchInstance(): Promise<Instance> {
      const run = await ec2.send(
        new RunInstancesCommand({
          LaunchTemplate: { LaunchTemplateName: 'defaultECS' },
          MinCount: 1,
          MaxCount: 1,
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: SERVER_ID_TAG, Value: 'gs-000000000001' }] }],
        }),
      );
      return run.Instances![0];
    }

    const containerInstanceOf = async (instanceId: string) =>
      (await ecs.send(new ListContainerInstancesCommand({ cluster: 'default', filter: `ec2InstanceId == ${instanceId}` }))).containerInstanceArns?.[0];

    it('runs instance -> container instance after the delay -> task PENDING -> RUNNING with a live game server -> StopTask kills it', async () => {
      install({ instanceBootMs: 50, registerDelayMs: 150, taskStartMs: 100 });
      const launchedAt = Date.now();
      const instance = await launchInstance();
      expect(instance.State?.Name).toBe('pending');
      const instanceId = instance.InstanceId!;

      expect(await containerInstanceOf(instanceId)).toBeUndefined();
      const containerInstanceArn = await waitFor('the container instance', () => containerInstanceOf(instanceId));
      expect(Date.now() - launchedAt).toBeGreaterThanOrEqual(140);

      const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const { PrivateIpAddress: privateIp, PublicIpAddress: publicIp } = described.Reservations![0].Instances![0];
      expect(described.Reservations![0].Instances![0]).toMatchObject({ State: { Name: 'running' }, PublicIpAddress: INSTANCE_PUBLIC, Tags: [{ Key: SERVER_ID_TAG, Value: 'gs-000000000001' }] });

      const started = await ecs.send(
        new StartTaskCommand({
          cluster: 'default',
          taskDefinition: 'LaunchGameserver',
          containerInstances: [containerInstanceArn],
          tags: [{ key: SERVER_ID_TAG, value: 'gs-000000000001' }],
          startedBy: 'fleet-manager',
        }),
      );
      expect(started.failures).toEqual([]);
      const taskArn = started.tasks![0].taskArn!;
      expect(started.tasks![0]).toMatchObject({ lastStatus: 'PENDING', desiredStatus: 'RUNNING', launchType: 'EC2', containerInstanceArn });
      expect(hostPortOf(started.tasks![0])).toBeUndefined();

      const running = await waitFor('the task to run', async () => {
        const task = await describeTask(taskArn);
        return task?.lastStatus === 'RUNNING' ? task : undefined;
      });
      const hostPort = hostPortOf(running)!;
      expect(running.containers![0].networkBindings![0]).toMatchObject({ containerPort: 8000, protocol: 'tcp' });
      // The game server listens on the instance's private address; the public one reaches it through AWS's translation.
      expect(await health(hostPort, privateIp)).toEqual({ available_capacity: 10, ready_to_close: true });
      expect(await health(hostPort, publicIp)).toEqual({ available_capacity: 10, ready_to_close: true });
      expect(fake.connectionsTo(`${publicIp}:${hostPort}`)).toBe(1);
      await expect(health(hostPort, '127.0.0.1')).rejects.toThrow();
      const pid = fake.tasks()[0].pid!;

      const stopping = await ecs.send(new StopTaskCommand({ cluster: 'default', task: taskArn, reason: 'drained' }));
      expect(stopping.task).toMatchObject({ desiredStatus: 'STOPPED', stoppedReason: 'drained' });
      const stopped = await waitFor('the task to stop', async () => {
        const task = await describeTask(taskArn);
        return task?.lastStatus === 'STOPPED' ? task : undefined;
      });
      expect(stopped.stopCode).toBe('UserInitiated');
      expect(isAlive(pid)).toBe(false);
      await expect(health(hostPort, privateIp)).rejects.toThrow();
      await expect(health(hostPort, publicIp)).rejects.toThrow();
    });

    it('registers no container instance for an instance terminated before its agent joined', async () => {
      install({ registerDelayMs: 100 });
      const instanceId = (await launchInstance()).InstanceId!;
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await containerInstanceOf(instanceId)).toBeUndefined();
      expect(fake.containerInstances()).toEqual([]);
    });

    it('stops the task and kills its game server when its instance is terminated', async () => {
      install();
      const [task] = await fake.seedTasks(1);
      expect(await health(task.port!, task.privateAddress!.split(':')[0])).toMatchObject({ available_capacity: 10 });

      const answer = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [task.ec2InstanceId!] }));
      expect(answer.TerminatingInstances).toEqual([
        { InstanceId: task.ec2InstanceId, PreviousState: { Code: 16, Name: 'running' }, CurrentState: { Code: 32, Name: 'shutting-down' } },
      ]);

      const stopped = await waitFor('the task to stop', async () => {
        const described = await describeTask(task.taskArn);
        return described?.lastStatus === 'STOPPED' ? described : undefined;
      });
      expect(stopped.stoppedReason).toContain(task.ec2InstanceId);
      expect(isAlive(task.pid!)).toBe(false);
      expect(fake.containerInstances()[0].status).toBe('INACTIVE');
      await waitFor('the instance to be terminated', () => (fake.instances()[0].state === 'terminated' ? true : undefined));
      const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [task.ec2InstanceId!] }));
      expect(described.Reservations![0].Instances![0].PublicIpAddress).toBeUndefined();
    });

    it('stops a task whose game server dies, as ECS stops a task whose essential container exits', async () => {
      install();
      const [task] = await fake.seedTasks(1);
      process.kill(task.pid!, 'SIGKILL');
      const stopped = await waitFor('the task to stop', async () => {
        const described = await describeTask(task.taskArn);
        return described?.lastStatus === 'STOPPED' ? described : undefined;
      });
      expect(stopped).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', containers: [expect.objectContaining({ exitCode: 137 })] });
      const listed = await ecs.send(new ListTasksCommand({ family: 'LaunchGameserver' }));
      expect(listed.taskArns).toEqual([]);
    });

    it('runs one task per instance: a second StartTask fails with RESOURCE:MEMORY, as does an injected capacity failure', async () => {
      install({ runGameServers: false });
      const [task] = await fake.seedTasks(1);
      const start = () =>
        ecs.send(new StartTaskCommand({ cluster: 'default', taskDefinition: 'LaunchGameserver:1', containerInstances: [task.containerInstanceArn!] }));

      expect(await start()).toMatchObject({ tasks: [], failures: [{ arn: task.containerInstanceArn, reason: 'RESOURCE:MEMORY' }] });

      await ecs.send(new StopTaskCommand({ cluster: 'default', task: task.taskArn }));
      await waitFor('the task to stop', () => (fake.tasks()[0].lastStatus === 'STOPPED' ? true : undefined));
      fake.failStartTask(1, 'RESOURCE:CPU');
      expect(await start()).toMatchObject({ tasks: [], failures: [{ reason: 'RESOURCE:CPU' }] });
      expect((await start()).tasks).toHaveLength(1);
    });
  });

  describe('the Fargate launch type', () => {
    it('gives the task an ENI of its own address, which DescribeNetworkInterfaces reports, with a live game server on it at the container port and no networkBindings', async () => {
      install({ taskDefinitions: [AWSVPC_DEFINITION] });
      const run = await ecs.send(
        new RunTaskCommand({
          cluster: 'default',
          taskDefinition: 'LaunchGameserver',
          launchType: 'FARGATE',
          count: 1,
          startedBy: 'fleet-manager',
          tags: [{ key: SERVER_ID_TAG, value: 'gs-00000000000f' }],
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' } },
        }),
      );
      const taskArn = run.tasks![0].taskArn!;
      const details = run.tasks![0].attachments?.find((a) => a.type === 'ElasticNetworkInterface')?.details ?? [];
      const eniId = details.find((d) => d.name === 'networkInterfaceId')?.value;
      expect(eniId).toMatch(/^eni-[0-9a-f]{17}$/);
      const privateIp = details.find((d) => d.name === 'privateIPv4Address')?.value;
      expect(privateIp).toMatch(ENI_PRIVATE);

      const enis = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId!] }));
      expect(enis.NetworkInterfaces![0]).toMatchObject({ NetworkInterfaceId: eniId, PrivateIpAddress: privateIp, Association: { PublicIp: ENI_PUBLIC } });
      const publicIp = enis.NetworkInterfaces![0].Association!.PublicIp!;

      const running = await waitFor('the task to run', async () => {
        const task = await describeTask(taskArn);
        return task?.lastStatus === 'RUNNING' ? task : undefined;
      });
      expect(running.containerInstanceArn).toBeUndefined();
      expect(running.containers![0].networkInterfaces).toEqual([{ attachmentId: expect.any(String), privateIpv4Address: privateIp }]);
      expect(running.containers![0].networkBindings).toEqual([]);
      expect(await health(7777, privateIp)).toEqual({ available_capacity: 10, ready_to_close: true });
      expect(await health(7777, publicIp)).toEqual({ available_capacity: 10, ready_to_close: true });

      await ecs.send(new StopTaskCommand({ cluster: 'default', task: taskArn }));
      await waitFor('the task to stop', async () => ((await describeTask(taskArn))?.lastStatus === 'STOPPED' ? true : undefined));
      await expect(ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId!] }))).rejects.toMatchObject({
        name: 'InvalidNetworkInterfaceID.NotFound',
      });
    });

    it('gives no public address when assignPublicIp is DISABLED', async () => {
      install({ runGameServers: false, taskDefinitions: [AWSVPC_DEFINITION] });
      const run = await ecs.send(
        new RunTaskCommand({
          taskDefinition: 'LaunchGameserver',
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], assignPublicIp: 'DISABLED' } },
        }),
      );
      const eniId = run.tasks![0].attachments![0].details!.find((d) => d.name === 'networkInterfaceId')!.value!;
      const enis = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
      expect(enis.NetworkInterfaces![0].Association).toBeUndefined();
      expect(enis.NetworkInterfaces![0].PrivateIpAddress).toMatch(ENI_PRIVATE);
    });

    it('runs two awsvpc tasks on the same container port, each at its own address', async () => {
      install({ taskDefinitions: [AWSVPC_DEFINITION] });
      const network = { awsvpcConfiguration: { subnets: ['subnet-1'], assignPublicIp: 'ENABLED' as const } };
      const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'LaunchGameserver', launchType: 'FARGATE', count: 2, networkConfiguration: network }));
      const arns = run.tasks!.map((t) => t.taskArn!);
      const running = await waitFor('both tasks to run', async () => {
        const tasks = (await ecs.send(new DescribeTasksCommand({ tasks: arns }))).tasks!;
        return tasks.every((t) => t.lastStatus === 'RUNNING') && tasks;
      });
      const addresses = running.map((t) => t.containers![0].networkInterfaces![0].privateIpv4Address!);
      expect(new Set(addresses).size).toBe(2);
      for (const address of addresses) expect(await health(7777, address)).toEqual({ available_capacity: 10, ready_to_close: true });
    });

    it('refuses Fargate for a task definition that is not awsvpc, and StartTask for an unknown one, as ECS does', async () => {
      install({ runGameServers: false });
      const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };
      await expect(ecs.send(new RunTaskCommand({ taskDefinition: 'LaunchGameserver', launchType: 'FARGATE', networkConfiguration: network }))).rejects.toMatchObject({
        name: 'ClientException',
        message: 'Task definition does not support launch_type FARGATE.',
      });
      await expect(ecs.send(new RunTaskCommand({ taskDefinition: 'NoSuchFamily', launchType: 'FARGATE', networkConfiguration: network }))).rejects.toMatchObject({
        name: 'ClientException',
      });
    });

    it('describes task definitions: awsvpc maps the container port to itself, bridge to a dynamic host port', async () => {
      install({ runGameServers: false, taskDefinitions: [AWSVPC_DEFINITION, { family: 'Bridged', networkMode: 'bridge', containers: [{ name: 'metrics', containerPort: 9100 }, { name: 'game', containerPort: 8000 }], gameContainer: 'game' }] });
      const awsvpc = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'LaunchGameserver' }))).taskDefinition!;
      expect(awsvpc).toMatchObject({ networkMode: 'awsvpc', revision: 1, containerDefinitions: [{ name: 'gameserver', portMappings: [{ containerPort: 7777, hostPort: 7777 }] }] });
      const bridge = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'Bridged:1' }))).taskDefinition!;
      expect(bridge.containerDefinitions!.map((c) => [c.name, c.essential, c.portMappings![0].hostPort])).toEqual([
        ['metrics', false, 0],
        ['game', true, 0],
      ]);
      await expect(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'Bridged:2' }))).rejects.toMatchObject({ name: 'ClientException' });
    });
  });

  describe('client tokens (idempotent creates)', () => {
    const launch = (token: string, template = 'defaultECS') =>
      ec2.send(new RunInstancesCommand({ LaunchTemplate: { LaunchTemplateName: template }, MinCount: 1, MaxCount: 1, ClientToken: token }));

    it('RunInstances asked again with the same token returns the same instance, and launches no second one', async () => {
      install({ runGameServers: false });
      const first = await launch('gs-000000000abc');
      const again = await launch('gs-000000000abc');
      expect(again.Instances![0].InstanceId).toBe(first.Instances![0].InstanceId);
      expect(fake.instances()).toHaveLength(1);
      expect((await launch('gs-000000000abd')).Instances![0].InstanceId).not.toBe(first.Instances![0].InstanceId);
    });

    it('refuses the same token with other parameters, as EC2 does', async () => {
      install({ runGameServers: false });
      await launch('gs-000000000abc');
      await expect(launch('gs-000000000abc', 'otherTemplate')).rejects.toMatchObject({ name: 'IdempotentParameterMismatch' });
    });

    it('RunTask asked again with the same clientToken returns the same task', async () => {
      install({ runGameServers: false, taskDefinitions: [AWSVPC_DEFINITION] });
      const run = () =>
        ecs.send(new RunTaskCommand({ taskDefinition: 'LaunchGameserver', launchType: 'FARGATE', clientToken: 'gs-000000000abc-1', networkConfiguration: { awsvpcConfiguration: { subnets: ['s'] } } }));
      const [first, again] = [await run(), await run()];
      expect(again.tasks![0].taskArn).toBe(first.tasks![0].taskArn);
      expect(fake.tasks()).toHaveLength(1);
      await expect(
        ecs.send(new RunTaskCommand({ taskDefinition: 'LaunchGameserver', launchType: 'FARGATE', count: 2, clientToken: 'gs-000000000abc-1', networkConfiguration: { awsvpcConfiguration: { subnets: ['s'] } } })),
      ).rejects.toMatchObject({ name: 'ConflictException' });
    });

    it('counts tasks on a container instance as ECS documents: one told to stop counts in neither count while it still runs', async () => {
      install({ gameServerScript: join(__dirname, '..', 'stubborn-game-server.js'), stopTimeoutMs: 1000 });
      const [task] = await fake.seedTasks(1);
      const counts = async () => {
        const [instance] = (await ecs.send(new DescribeContainerInstancesCommand({ containerInstances: [task.containerInstanceArn!] }))).containerInstances!;
        return [instance.runningTasksCount, instance.pendingTasksCount];
      };
      expect(await counts()).toEqual([1, 0]);
      await ecs.send(new StopTaskCommand({ task: task.taskArn }));
      expect(await counts()).toEqual([0, 0]);
      expect((await describeTask(task.taskArn))?.lastStatus).toBe('RUNNING');
    });
  });

  describe('faults', () => {
    it('lets an injected throttle reach the caller as ThrottlingException, then answers again', async () => {
      install({ runGameServers: false });
      fake.failNext('ListTasks', 2, 'throttle');

      for (let i = 0; i < 2; i++) {
        await expect(ecs.send(new ListTasksCommand({ cluster: 'default' }))).rejects.toMatchObject({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: expect.objectContaining({ httpStatusCode: 400 }),
          $retryable: { throttling: true },
        });
      }
      await expect(ecs.send(new ListTasksCommand({ cluster: 'default' }))).resolves.toMatchObject({ taskArns: [] });
      expect(fake.calls('ListTasksCommand')).toHaveLength(3);
    });

    it('injects 5xx, timeouts and given errors, and EC2 throttling under its own name', async () => {
      install({ runGameServers: false, timeoutMs: 50 });
      fake.failNext('DescribeClusters', 1, 'server');
      fake.failNext('DescribeClusters', 1, 'timeout');
      fake.failNext('DescribeClusters', 1, new Error('boom'));
      fake.failNext('DescribeInstances', 1, 'throttle');

      await expect(ecs.send(new DescribeClustersCommand({}))).rejects.toMatchObject({ name: 'ServerException', $fault: 'server', $metadata: { httpStatusCode: 500 } });
      const before = Date.now();
      await expect(ecs.send(new DescribeClustersCommand({}))).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - before).toBeGreaterThanOrEqual(45);
      await expect(ecs.send(new DescribeClustersCommand({}))).rejects.toThrow('boom');
      await expect(ec2.send(new DescribeInstancesCommand({}))).rejects.toMatchObject({ name: 'RequestLimitExceeded', $retryable: { throttling: true } });
      await expect(ecs.send(new DescribeClustersCommand({}))).resolves.toMatchObject({ clusters: [expect.objectContaining({ clusterName: 'default' })] });
    });

    it('applies latency to every call and fails loudly on a command it does not implement', async () => {
      install({ runGameServers: false, latencyMs: 30 });
      const before = Date.now();
      await ecs.send(new ListTasksCommand({}));
      expect(Date.now() - before).toBeGreaterThanOrEqual(25);
      await expect(ecs.send(new RegisterTaskDefinitionCommand({ family: 'LaunchGameserver', containerDefinitions: [] }))).rejects.toThrow(
        'FakeAws does not implement ECS RegisterTaskDefinitionCommand',
      );
    });
  });

  describe('tags', () => {
    it('round-trips TagResource and UntagResource, shown by DescribeTasks only with include TAGS', async () => {
      install({ runGameServers: false });
      const [task] = await fake.seedTasks(1);

      await ecs.send(new TagResourceCommand({ resourceArn: task.taskArn, tags: [{ key: DRAINING_TAG, value: 'true' }] }));
      expect((await describeTask(task.taskArn, 'TAGS'))?.tags).toEqual([
        { key: SERVER_ID_TAG, value: task.tags[SERVER_ID_TAG] },
        { key: DRAINING_TAG, value: 'true' },
      ]);
      expect((await describeTask(task.taskArn))?.tags).toBeUndefined();

      await ecs.send(new UntagResourceCommand({ resourceArn: task.taskArn, tagKeys: [DRAINING_TAG] }));
      expect((await describeTask(task.taskArn, 'TAGS'))?.tags).toEqual([{ key: SERVER_ID_TAG, value: task.tags[SERVER_ID_TAG] }]);

      const unknown = 'arn:aws:ecs:ap-south-1:123456789012:task/default/0123456789abcdef0123456789abcdef';
      await expect(ecs.send(new TagResourceCommand({ resourceArn: unknown, tags: [{ key: 'a', value: 'b' }] }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });
  });

  describe('close', () => {
    it('kills every game server and restores the SDK clients', async () => {
      install({ taskStartMs: 10, taskDefinitions: [AWSVPC_DEFINITION] });
      const seeded = await fake.seedTasks(3, { launchType: 'FARGATE' });
      const run = await ecs.send(
        new RunTaskCommand({ taskDefinition: 'LaunchGameserver', launchType: 'FARGATE', networkConfiguration: { awsvpcConfiguration: { subnets: ['s'] } } }),
      );
      await waitFor('the task to run', async () => ((await describeTask(run.tasks![0].taskArn!))?.lastStatus === 'RUNNING' ? true : undefined));
      const pids = fake.tasks().map((task) => task.pid!);
      expect(pids).toHaveLength(4);
      expect(pids.every(isAlive)).toBe(true);
      expect(seeded.every((task) => task.port !== undefined)).toBe(true);

      await fake.close();

      expect(pids.some(isAlive)).toBe(false);
      expect('restore' in ECSClient.prototype.send).toBe(false);
      expect('restore' in EC2Client.prototype.send).toBe(false);
    });
  });
});
