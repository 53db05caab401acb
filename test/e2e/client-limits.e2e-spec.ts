import { acceptingServers, destroyFleet, getJson, metric, RunningManager, startManager, waitFor } from '../support/manager';

const TOKEN = 'client-limits-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

/** Places reserved over the fleet, as the operator API shows them. */
async function reserved(manager: RunningManager): Promise<number> {
  const fleet = await getJson<{ servers: { reserved: number }[] }>(`${manager.url}/fleet`, auth);
  return fleet.body.servers.reduce((sum, server) => sum + server.reserved, 0);
}

const ask = (manager: RunningManager, headers: Record<string, string> = {}) => getJson<{ available?: string; error?: string }>(`${manager.url}/available-gameserver/`, headers);

describe('limits per client address on GET /available-gameserver/', () => {
  let manager: RunningManager | undefined;

  afterEach(async () => {
    await manager?.close();
    if (manager) await destroyFleet(manager.stateDir);
    manager = undefined;
  });

  // Room for every request: what is refused is refused for the limit, not for want of places.
  const roomy = { ADMIN_TOKEN: TOKEN, SERVER_CAPACITY: '50', UPSCALE_MARGIN: '0', DOWNSCALE_MARGIN: '60', CLIENT_ALLOCATIONS_PER_MINUTE: '5', RESERVATION_TIMEOUT: '600' };

  async function start(env: Record<string, string>): Promise<RunningManager> {
    const started = await startManager(env);
    await waitFor('one ready server', async () => (await acceptingServers(started)).length === 1);
    return started;
  }

  it('answers 429 with Retry-After past CLIENT_ALLOCATIONS_PER_MINUTE, reserving nothing and counting no demand for it', async () => {
    manager = await start(roomy);
    for (let i = 0; i < 5; i++) expect((await ask(manager)).status).toBe(200);
    expect(await reserved(manager)).toBe(5);

    const refused = await ask(manager);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatch(/^too many places asked from this address; retry after \d+ s$/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(refused.headers.get('cache-control')).toBe('no-store');

    expect(await reserved(manager)).toBe(5);
    expect(await metric(manager, 'fleet_manager_allocations_total{outcome="limited"}')).toBe(1);
    expect(await metric(manager, 'fleet_manager_allocations_total{outcome="server"}')).toBe(5);
    expect(await metric(manager, 'fleet_manager_allocations_total{outcome="none"}')).toBeUndefined();
    // Only the requests that chose a place take time in the allocation histogram.
    expect(await metric(manager, 'fleet_manager_allocation_duration_seconds_count')).toBe(5);
  });

  it('ignores X-Forwarded-For unless TRUSTED_PROXIES trusts the peer: anyone can write it', async () => {
    manager = await start(roomy);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await ask(manager, { 'x-forwarded-for': `198.51.100.${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('behind a trusted proxy, each client named in X-Forwarded-For has limits of its own', async () => {
    manager = await start({ ...roomy, TRUSTED_PROXIES: 'loopback' });
    for (let i = 0; i < 5; i++) expect((await ask(manager, { 'x-forwarded-for': '198.51.100.7' })).status).toBe(200);
    expect((await ask(manager, { 'x-forwarded-for': '198.51.100.7' })).status).toBe(429);
    expect((await ask(manager, { 'x-forwarded-for': '198.51.100.8' })).status).toBe(200);
    // The proxy's own requests (no header) are another client again.
    expect((await ask(manager)).status).toBe(200);
  });

  it('behind a trusted proxy, addresses a client writes at the left of X-Forwarded-For do not make it a new client', async () => {
    manager = await start({ ...roomy, TRUSTED_PROXIES: '127.0.0.1/8' });
    const statuses: number[] = [];
    // The proxy appends the address it saw; what the client sent comes before it.
    for (let i = 0; i < 6; i++) statuses.push((await ask(manager, { 'x-forwarded-for': `203.0.113.${i}, 198.51.100.9` })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('CLIENT_ALLOCATIONS_PER_MINUTE=0 sets no limit', async () => {
    manager = await start({ ...roomy, CLIENT_ALLOCATIONS_PER_MINUTE: '0' });
    for (let i = 0; i < 20; i++) expect((await ask(manager)).status).toBe(200);
  });
});
