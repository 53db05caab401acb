import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientApi } from '../../src/allocation/client-api';
import type { AllocationService } from '../../src/allocation/allocation.service';
import { Settings } from '../../src/config/settings';
import type { AllocationOutcome } from '../../src/domain/allocation-outcome';
import { FleetMetrics } from '../../src/metrics/fleet-metrics';

describe('ClientApi: an answer that fails as it is sent', () => {
  let server: Server;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    Logger.overrideLogger(false);
    process.on('unhandledRejection', onUnhandled);
    const settings = new Settings();
    const outcome: AllocationOutcome = { kind: 'server', serverId: 'gs-1', address: '198.51.100.1:7777' };
    const allocation = { allocateFor: () => Promise.resolve(outcome) } as unknown as AllocationService;
    const api = new ClientApi(allocation, new FleetMetrics(settings), settings);
    server = createServer((request, response) => {
      // What a failure inside node:http's writeHead looks like to the code that calls it.
      const writeHead = response.writeHead.bind(response);
      let calls = 0;
      response.writeHead = ((...args: Parameters<typeof writeHead>) => {
        calls += 1;
        if (calls === 1) throw new Error('the answer could not be written');
        return writeHead(...args);
      }) as typeof response.writeHead;
      api.handle(api.routeOf(request) as NonNullable<ReturnType<ClientApi['routeOf']>>, request, response);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });

  afterAll(() => {
    server.close();
    process.off('unhandledRejection', onUnhandled);
    Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']);
  });

  it('is a 500 for that client, never a rejection nobody handles (which would end the manager)', async () => {
    const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/available-gameserver/`, { signal: AbortSignal.timeout(5_000) });
    expect(answer.status).toBe(500);
    expect(await answer.json()).toEqual({ message: 'Internal server error', statusCode: 500 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });
});
