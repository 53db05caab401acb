import {
  ClusterNotFoundException,
  DescribeClustersCommand,
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  RunTaskCommandInput,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { ECS_TARGET_PREFIX, FAKE_ECS_CREDENTIALS } from './ecs-http-endpoint';
import { FakeAws, FakeAwsOptions, FakeTaskDefinition } from './fake-aws';

const AWSVPC_DEFINITION: FakeTaskDefinition = { family: 'LaunchGameserver', networkMode: 'awsvpc', containers: [{ name: 'gameserver', containerPort: 7777 }] };
const RUN_TASK: RunTaskCommandInput = {
  cluster: 'default',
  taskDefinition: 'LaunchGameserver',
  launchType: 'FARGATE',
  count: 1,
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0abc'], assignPublicIp: 'ENABLED' } },
};

/**
 * The real SDK (serialization, adaptive retries, signing, deserialization) against the fake's ECS
 * on loopback: a fault is answered as ECS answers it, and the SDK decides what to retry.
 */
describe('FakeAws with ECS over HTTP', () => {
  let fake: FakeAws | undefined;
  const clients: ECSClient[] = [];

  const install = async (options: FakeAwsOptions = {}) => (fake = await FakeAws.install({ runGameServers: false, ...options, ecsOverHttp: true }));
  /** As the manager configures its client (aws-client-config.ts), with a short deadline per attempt. */
  // A deadline a loaded machine keeps; the tests of timeouts set a short one, and their faults never answer at all.
  const client = (endpoint: string, { maxAttempts = 3, requestTimeout = 10_000 } = {}) => {
    const ecs = new ECSClient({
      endpoint,
      region: 'ap-south-1',
      credentials: FAKE_ECS_CREDENTIALS,
      maxAttempts,
      retryMode: 'adaptive',
      requestHandler: { requestTimeout, throwOnRequestTimeout: true },
    });
    clients.push(ecs);
    return ecs;
  };
  const attempts = (operation: string) => fake!.calls(operation).map((call) => call.attempt);
  const raw = (endpoint: string, operation: string, body: unknown) =>
    fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${ECS_TARGET_PREFIX}${operation}` },
      body: JSON.stringify(body),
    });

  afterEach(async () => {
    for (const ecs of clients.splice(0)) ecs.destroy();
    await fake?.close();
    fake = undefined;
  });

  it('answers over the JSON protocol: timestamps as epoch seconds that the SDK reads back as Dates, and the attempt in the call log', async () => {
    await install();
    const [seeded] = await fake!.seedTasks(1);

    const answer = await client(fake!.ecsEndpoint).send(new DescribeTasksCommand({ cluster: 'default', tasks: [seeded.taskArn], include: ['TAGS'] }));

    expect(answer.$metadata).toMatchObject({ httpStatusCode: 200, attempts: 1 });
    expect(answer.$metadata.requestId).toEqual(expect.any(String));
    expect(answer.tasks).toHaveLength(1);
    expect(answer.tasks![0].taskArn).toBe(seeded.taskArn);
    expect(answer.tasks![0].createdAt).toEqual(seeded.createdAt);
    expect(fake!.calls('DescribeTasks')).toEqual([expect.objectContaining({ attempt: 1, input: { cluster: 'default', tasks: [seeded.taskArn], include: ['TAGS'] } })]);
    const wire = (await (await raw(fake!.ecsEndpoint, 'DescribeTasks', { tasks: [seeded.taskArn] })).json()) as { tasks: { createdAt: unknown }[] };
    expect(wire.tasks[0].createdAt).toBe(seeded.createdAt.getTime() / 1000);
  });

  it('points ECSClients without an endpoint of their own at itself (AWS_ENDPOINT_URL_ECS) until closed; EC2 stays mocked', async () => {
    const before = process.env.AWS_ENDPOINT_URL_ECS;
    await install();
    expect(process.env.AWS_ENDPOINT_URL_ECS).toBe(fake!.ecsEndpoint);

    const ecs = new ECSClient({ region: 'ap-south-1' });
    clients.push(ecs);
    expect((await ecs.send(new DescribeClustersCommand({ clusters: ['default'] }))).clusters![0].status).toBe('ACTIVE');
    expect(attempts('DescribeClusters')).toEqual([1]);
    await new EC2Client({ region: 'ap-south-1' }).send(new RunInstancesCommand({ LaunchTemplate: { LaunchTemplateName: 'defaultECS' }, MinCount: 1, MaxCount: 1 }));
    expect(fake!.calls('RunInstances')).toHaveLength(1);
    expect(fake!.calls('RunInstances')[0].attempt).toBeUndefined();

    await fake!.close();
    expect(process.env.AWS_ENDPOINT_URL_ECS).toBe(before);
  });

  it('throttling: 400 ThrottlingException, which the SDK retries; the second attempt is answered', async () => {
    await install();
    fake!.failNext('ListTasks', 1, 'throttle');

    const answer = await client(fake!.ecsEndpoint).send(new ListTasksCommand({ cluster: 'default' }));

    expect(answer.$metadata.attempts).toBe(2);
    expect(answer.taskArns).toEqual([]);
    expect(attempts('ListTasks')).toEqual([1, 2]);
  });

  it("'server': 500 ServerException, retried likewise", async () => {
    await install();
    fake!.failNext('DescribeClusters', 2, 'server');

    const answer = await client(fake!.ecsEndpoint).send(new DescribeClustersCommand({ clusters: ['default'] }));

    expect(answer.$metadata.attempts).toBe(3);
    expect(answer.clusters![0].status).toBe('ACTIVE');
    expect(attempts('DescribeClusters')).toEqual([1, 2, 3]);
  });

  it('a fault outlasting the attempts reaches the caller as the error ECS sent, after every attempt', async () => {
    await install();
    fake!.failNext('ListTasks', 5, 'throttle');

    const error = await client(fake!.ecsEndpoint, { maxAttempts: 2 }).send(new ListTasksCommand({ cluster: 'default' })).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400, attempts: 2 } });
    expect(attempts('ListTasks')).toEqual([1, 2]);
  });

  it('client errors come back as the modelled exceptions and are not retried', async () => {
    await install();
    const ecs = client(fake!.ecsEndpoint);

    const notFound = await ecs.send(new StopTaskCommand({ cluster: 'default', task: 'arn:aws:ecs:ap-south-1:123456789012:task/default/0123456789abcdef' })).catch((e: unknown) => e);
    const noCluster = await ecs.send(new ListTasksCommand({ cluster: 'elsewhere' })).catch((e: unknown) => e);
    const unknown = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'x', containerDefinitions: [] })).catch((e: unknown) => e);

    expect(notFound).toBeInstanceOf(InvalidParameterException);
    expect(notFound).toMatchObject({ message: 'The referenced task was not found.', $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 1 } });
    expect(noCluster).toBeInstanceOf(ClusterNotFoundException);
    expect(noCluster).toMatchObject({ $metadata: { attempts: 1 } });
    expect(unknown).toMatchObject({ name: 'UnknownOperationException', $metadata: { httpStatusCode: 400, attempts: 1 } });
    expect(attempts('StopTask')).toEqual([1]);
    expect(attempts('ListTasks')).toEqual([1]);
  });

  it("'timeout': the connection never answers; the SDK's requestTimeout aborts the attempt and the retry is answered", async () => {
    await install();
    fake!.failNext('DescribeClusters', 1, 'timeout');
    const started = Date.now();

    const answer = await client(fake!.ecsEndpoint, { requestTimeout: 1_000 }).send(new DescribeClustersCommand({ clusters: ['default'] }));

    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(answer.$metadata.attempts).toBe(2);
    expect(attempts('DescribeClusters')).toEqual([1, 2]);
  });

  it("'lost-answer': RunTask starts its task, the answer never comes, and the SDK's retry with the same clientToken gets that task back", async () => {
    await install({ taskDefinitions: [AWSVPC_DEFINITION] });
    fake!.failNext('RunTask', 1, 'lost-answer');

    const answer = await client(fake!.ecsEndpoint, { requestTimeout: 1_000 }).send(new RunTaskCommand({ ...RUN_TASK, clientToken: 'gs-lost0001-1' }));

    expect(answer.$metadata.attempts).toBe(2);
    expect(fake!.tasks()).toHaveLength(1);
    expect(answer.tasks![0].taskArn).toBe(fake!.tasks()[0].taskArn);
    expect(fake!.calls('RunTask').map((call) => [call.attempt, (call.input as RunTaskCommandInput).clientToken])).toEqual([
      [1, 'gs-lost0001-1'],
      [2, 'gs-lost0001-1'],
    ]);
  });

  it("RunTask's clientToken is an idempotency token of the model: the SDK makes one up when the caller gives none, and every retry sends it", async () => {
    await install({ taskDefinitions: [AWSVPC_DEFINITION] });
    fake!.failNext('RunTask', 1, 'lost-answer');

    await client(fake!.ecsEndpoint, { requestTimeout: 1_000 }).send(new RunTaskCommand(RUN_TASK));

    const tokens = fake!.calls('RunTask').map((call) => (call.input as RunTaskCommandInput).clientToken);
    expect(tokens).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/), tokens[0]]);
    expect(fake!.tasks()).toHaveLength(1);
  });

  it('on the wire: throttling is a 400 with x-amzn-errortype, a server error a 500, an unknown operation a 400', async () => {
    await install();
    fake!.failNext('ListTasks', 1, 'throttle');
    fake!.failNext('ListTasks', 1, 'server');

    const throttled = await raw(fake!.ecsEndpoint, 'ListTasks', {});
    const failed = await raw(fake!.ecsEndpoint, 'ListTasks', {});
    const unknown = await raw(fake!.ecsEndpoint, 'CreateCluster', {});

    expect(throttled.status).toBe(400);
    expect(throttled.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(throttled.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await throttled.json()).toEqual({ __type: 'ThrottlingException', message: expect.stringContaining('Rate exceeded') });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ __type: 'ServerException' });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
    // Calls that came without the SDK's header have no attempt.
    expect(attempts('ListTasks')).toEqual([undefined, undefined]);
  });

  it('close() ends a call left hanging, and the port stops answering', async () => {
    await install();
    fake!.failNext('DescribeClusters', 1, 'timeout');
    const endpoint = fake!.ecsEndpoint;
    // No deadline of its own: only close() can end this call.
    const hanging = client(endpoint, { maxAttempts: 1, requestTimeout: 0 }).send(new DescribeClustersCommand({}));
    const outcome = hanging.then(
      () => 'answered',
      (error: Error) => error,
    );
    while (fake!.calls('DescribeClusters').length === 0) await new Promise((resolve) => setTimeout(resolve, 10));

    await fake!.close();

    expect(await outcome).toBeInstanceOf(Error);
    await expect(fetch(endpoint, { method: 'POST' })).rejects.toThrow();
  });
});

describe("'lost-answer' with the clients mocked", () => {
  it('the call takes effect, then fails as a timeout; with send replaced, nothing asks again', async () => {
    const fake = FakeAws.install({ runGameServers: false, taskDefinitions: [AWSVPC_DEFINITION], timeoutMs: 20 });
    try {
      fake.failNext('RunTask', 1, 'lost-answer');

      const error = await new ECSClient({ region: 'ap-south-1' }).send(new RunTaskCommand({ ...RUN_TASK, clientToken: 'gs-lost0002-1' })).catch((e: unknown) => e);

      expect(error).toMatchObject({ name: 'TimeoutError' });
      expect(fake.tasks()).toHaveLength(1);
      expect(fake.calls('RunTask')).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});
