import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { Settings } from '../../src/config/settings';
import { FleetMetrics, METRIC_PREFIX } from '../../src/metrics/fleet-metrics';
import { GameServerPlatform } from '../../src/platform/game-server-platform';
import { InstrumentedPlatform } from '../../src/platform/instrumented-platform';

const REF = { id: 'gs-0badc0ffee', platformIds: { taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/fleet/0badc0ffee' } };
const FAILURE = new Error('AccessDeniedException: not authorized to perform ecs:StopTask');

/** A platform whose every call fails as an AWS call can: the wrapper is what is under test. */
const failing = {
  name: 'ecs',
  discover: () => Promise.reject(FAILURE),
  resync: () => Promise.reject(FAILURE),
  unadopted: () => [],
  launch: () => Promise.reject(FAILURE),
  stop: () => Promise.reject(FAILURE),
  setDraining: () => Promise.reject(FAILURE),
  ping: () => Promise.reject(FAILURE),
} satisfies GameServerPlatform;

async function errorCount(metrics: FleetMetrics, operation: string): Promise<number | undefined> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === `${METRIC_PREFIX}platform_errors_total`);
  return metric?.values.find((value) => value.labels.operation === operation)?.value;
}

describe('InstrumentedPlatform: a failed platform call is counted, and logged with what it was for', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    { operation: 'stop', call: (p: GameServerPlatform) => p.stop(REF), serverId: REF.id },
    { operation: 'setDraining', call: (p: GameServerPlatform) => p.setDraining(REF, 1_000), serverId: REF.id },
    { operation: 'launch', call: (p: GameServerPlatform) => p.launch({ id: REF.id, capacity: 10 }), serverId: REF.id },
    { operation: 'discover', call: (p: GameServerPlatform) => p.discover(), serverId: undefined },
    { operation: 'resync', call: (p: GameServerPlatform) => p.resync(), serverId: undefined },
    { operation: 'ping', call: (p: GameServerPlatform) => p.ping(), serverId: undefined },
  ])('$operation: the error passes through; the log names the server, if any, and the cause', async ({ operation, call, serverId }) => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const metrics = new FleetMetrics(new Settings());
    await expect(call(new InstrumentedPlatform(failing, metrics))).rejects.toBe(FAILURE);
    expect(await errorCount(metrics, operation)).toBe(1);
    expect(errors).toHaveBeenCalledTimes(1);
    const [fields, message] = errors.mock.calls[0] as [Record<string, unknown>, string];
    expect(fields).toMatchObject({ operation, platform: 'ecs', err: FAILURE });
    expect(fields.serverId).toBe(serverId);
    // What an operator reads in a plain log: which call, for which server, and why.
    expect(message).toBe(`platform call ${operation}${serverId ? ` for server ${serverId}` : ''} failed: ${FAILURE.message}`);
  });
});
