import { EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, ECSClient, StopTaskCommand } from '@aws-sdk/client-ecs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { fenced } from '../../src/aws/fenced-client';
import { ActingFence, NotActingError } from '../../src/lifecycle/acting-fence';
import { TEST_CREDENTIALS } from '../support/dynalite';

/**
 * The real SDK clients, with the fence installed as the manager installs it, against a loopback
 * HTTP endpoint that records what reaches it: ECS speaks JSON 1.1 (the operation in X-Amz-Target),
 * EC2 its query protocol (Action=... in the body). Nothing here is mocked inside the SDK, so its
 * middleware stack, retries included, runs as in production.
 */
describe('the acting fence on the AWS clients', () => {
  let server: Server;
  let endpoint: string;
  let received: string[];
  /** How the endpoint answers each request; by default ECS's empty success. */
  let answer: (operation: string, response: ServerResponse) => void;

  beforeEach(async () => {
    received = [];
    answer = (_operation, response) => response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end('{}');
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const operation = String(request.headers['x-amz-target'] ?? '').split('.').pop() || /Action=(\w+)/.exec(body)?.[1] || '?';
        received.push(operation);
        answer(operation, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const clients = (fence: ActingFence, maxAttempts = 1) => ({
    ecs: fenced(new ECSClient({ endpoint, region: 'ap-south-1', credentials: TEST_CREDENTIALS, maxAttempts }), fence),
    ec2: fenced(new EC2Client({ endpoint, region: 'ap-south-1', credentials: TEST_CREDENTIALS, maxAttempts }), fence),
  });

  it('refuses every change while closed, before anything is sent, and lets reads through', async () => {
    const { ecs, ec2 } = clients(new ActingFence());
    await expect(ecs.send(new StopTaskCommand({ task: 'arn:aws:ecs:ap-south-1:1:task/default/abc' }))).rejects.toThrow(NotActingError);
    await expect(ec2.send(new TerminateInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))).rejects.toThrow(/TerminateInstances refused/);
    await ecs.send(new DescribeTasksCommand({ tasks: ['abc'] }));
    expect(received).toEqual(['DescribeTasks']);
  });

  it('lets changes through while open, and closes by itself when the lease’s time is up', async () => {
    const fence = new ActingFence();
    const { ecs } = clients(fence);
    fence.openUntil(performance.now() + 200);
    await ecs.send(new StopTaskCommand({ task: 'a' }));
    await new Promise((resolve) => setTimeout(resolve, 250));
    await expect(ecs.send(new StopTaskCommand({ task: 'b' }))).rejects.toThrow(NotActingError);
    expect(received).toEqual(['StopTask']);
  });

  it('checks each attempt: a retry the SDK would send after the fence closed is never sent', async () => {
    const fence = new ActingFence();
    fence.openUntil(Infinity);
    const { ecs } = clients(fence, 3);
    // The first attempt fails as AWS does when overloaded (retried by the SDK); the fence closes meanwhile.
    answer = (_operation, response) => {
      fence.close();
      response.writeHead(503, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'ServiceUnavailableException', message: 'busy' }));
    };
    await expect(ecs.send(new StopTaskCommand({ task: 'a' }))).rejects.toThrow(NotActingError);
    expect(received).toEqual(['StopTask']);
  });

  it('counts a change in flight, so that a leader releasing its lease waits for it', async () => {
    const fence = new ActingFence();
    fence.openUntil(Infinity);
    const { ecs } = clients(fence);
    let finish!: () => void;
    answer = (_operation, response) => (finish = () => response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end('{}'));
    const stopping = ecs.send(new StopTaskCommand({ task: 'a' }));
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    fence.close();
    let settled = false;
    const waiting = fence.settled(5_000).then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    finish();
    await stopping;
    await waiting;
    expect(settled).toBe(true);
  });
});
