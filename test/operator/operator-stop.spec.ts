import 'reflect-metadata';
import { ConflictException } from '@nestjs/common';
import { Settings } from '../../src/config/settings';
import { FleetRegistry } from '../../src/fleet/fleet.registry';
import type { Leadership } from '../../src/leadership/leadership.service';
import { OperatorService } from '../../src/operator/operator.service';
import type { Reconciler } from '../../src/scaling/reconciler.service';

const T0 = Date.parse('2030-01-01T00:00:00Z');

/** An operator service over a real registry whose one server, `a`, last reported itself empty (ready_to_close) at T0. */
function setUp() {
  const registry = new FleetRegistry(Object.assign(new Settings(), { RESERVATION_TIMEOUT: 15 }));
  registry.rebuild([{ id: 'a', address: 'a:7777', probeAddress: 'a:9000', version: 'v1', outdated: false, platformIds: {} }], T0);
  registry.recordProbe('a', { ok: true, report: { availableCapacity: 10, readyToClose: true } }, T0);
  const applied: unknown[] = [];
  const reconciler = { apply: (action: unknown) => applied.push(action) } as unknown as Reconciler;
  const leadership = { isLeader: true } as Leadership;
  const none = undefined as never;
  const service = new OperatorService(registry, reconciler, none, none, none, leadership, none, none);
  return { registry, service, applied };
}

/** Its health endpoint stops answering from T0 + 1 s until `until`, a probe a second. */
function failsUntil(registry: FleetRegistry, until: number) {
  for (let at = T0 + 1_000; at <= until; at += 1_000) registry.recordProbe('a', { ok: false, error: 'timeout' }, at);
}

describe('OperatorService: stopping a server that stopped answering, without force', () => {
  it('is refused if a player was handed a place after its last report, even once the place timed out', () => {
    const { registry, service, applied } = setUp();
    registry.allocate(T0 + 500);
    failsUntil(registry, T0 + 20_000);
    // A pass's look at the fleet lets the place time out, as every pass does.
    expect(registry.snapshot(T0 + 20_000).find((s) => s.id === 'a')).toMatchObject({ state: 'unhealthy', reserved: 0 });
    expect(() => service.stop('a', false)).toThrow(ConflictException);
    expect(applied).toEqual([]);
  });

  it('is done if nobody was handed a place since it reported itself empty', () => {
    const { registry, service, applied } = setUp();
    failsUntil(registry, T0 + 20_000);
    expect(service.stop('a', false)).toEqual({ id: 'a', state: 'unhealthy' });
    expect(applied).toEqual([{ kind: 'stop', serverId: 'a', reason: 'operator' }]);
  });
});
