import { DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import { AddressInfo, createServer, Socket } from 'node:net';
import { RunningManager, startManager } from '../support/manager';

/**
 * The real SDK clients of the manager against an endpoint on loopback that accepts a connection
 * and never answers: without a deadline of its own, an AWS call would wait forever.
 */
describe('AWS calls have a deadline (AWS_REQUEST_TIMEOUT)', () => {
  const sockets = new Set<Socket>();
  const hung = createServer((socket) => sockets.add(socket));
  const saved = { ...process.env };
  let manager: RunningManager | undefined;

  beforeAll(async () => {
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    // The SDK reads these from the environment, as in production; nothing leaves this machine.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret',
    });
  });

  afterAll(async () => {
    await manager?.close();
    for (const key of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => hung.close(resolve));
  });

  it('a call to an endpoint that never answers fails as a timeout within the attempts, instead of hanging', async () => {
    manager = await startManager({
      PLATFORM: 'ecs',
      AWS_REGION: 'ap-south-1',
      SERVER_TASK_DEFINITION: 'LaunchGameserver',
      ECS_INSTANCE_LAUNCH_TEMPLATE: 'defaultECS',
      AWS_REQUEST_TIMEOUT: '0.3',
      AWS_MAX_ATTEMPTS: '2',
    });
    const started = Date.now();
    await expect(manager.app.get(ECSClient).send(new DescribeClustersCommand({ clusters: ['default'] }))).rejects.toMatchObject({ name: 'TimeoutError' });
    // Two attempts of 0.3 s and the adaptive retry's back-off between them.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(sockets.size).toBeGreaterThanOrEqual(2);
  });
});
