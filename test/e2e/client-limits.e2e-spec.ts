import { destroyFleet, getJson, metric, RunningManager, startManager, waitFor } from '../support/manager';
import { ArrivedPlayer, connectPlayer, leave } from '../support/players';
import { signTicket } from '../../src/allocation/client-ticket';

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
  const roomy = { ADMIN_TOKEN: TOKEN, SERVER_CAPACITY: '50', UPSCALE_MARGIN: '0', DOWNSCALE_MARGIN: '60', CLIENT_ALLOCATIONS_PER_MINUTE: '5', CLIENT_RESERVED_PLACES: '0', RESERVATION_TIMEOUT: '600' };
  const players: ArrivedPlayer[] = [];
  afterEach(async () => leave(players.splice(0)));

  /** Starts the manager (closed after the test even if it never gets ready) and waits for its server; `headers` for the server list. */
  async function start(env: Record<string, string>, headers: Record<string, string> = {}): Promise<RunningManager> {
    const started = (manager = await startManager(env));
    await waitFor('one ready server', async () => (await getJson<{ server_list: string[] }>(`${started.url}/available-gameserver-list/`, headers)).body.server_list?.length === 1);
    return started;
  }

  it('answers 429 with Retry-After at CLIENT_RESERVED_PLACES places held, until a player takes one of them', async () => {
    manager = await start({ ...roomy, CLIENT_ALLOCATIONS_PER_MINUTE: '0', CLIENT_RESERVED_PLACES: '3' });
    const given: string[] = [];
    for (let i = 0; i < 3; i++) given.push((await ask(manager)).body.available as string);
    const refused = await ask(manager);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatch(/^too many places reserved and not yet taken from this address; retry after \d+ s$/);
    // The places time out after RESERVATION_TIMEOUT (600 s): the wait says when the oldest does.
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(590);
    expect(await reserved(manager)).toBe(3);
    expect(await metric(manager, 'fleet_manager_allocations_total{outcome="limited",limit="reserved_places"}')).toBe(1);
    expect(await metric(manager, 'fleet_manager_client_limit_peak_ratio{limit="reserved_places"}')).toBe(1);

    players.push({ address: given[0], socket: await connectPlayer(given[0]) });
    await waitFor('the probe that sees the player arrive', async () => (await reserved(manager as RunningManager)) === 2);
    expect((await ask(manager)).status).toBe(200);
    expect((await ask(manager)).status).toBe(429);
  });

  it('a client that names itself in Fleet-Client-Id gets its place again, reserved once, until its player takes it', async () => {
    manager = await start({ ...roomy, CLIENT_ALLOCATIONS_PER_MINUTE: '0' });
    const alice = { 'fleet-client-id': 'alice-7f3a' };
    const first = await ask(manager, alice);
    const again = await ask(manager, alice);
    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await reserved(manager)).toBe(1);
    expect(await metric(manager, 'fleet_manager_allocations_total{outcome="server"}')).toBe(2);
    // A neighbour behind the same address is another player: a place of its own.
    expect((await ask(manager, { 'fleet-client-id': 'bob-0c11' })).status).toBe(200);
    expect((await ask(manager)).status).toBe(200);
    expect(await reserved(manager)).toBe(3);

    players.push({ address: first.body.available as string, socket: await connectPlayer(first.body.available as string) });
    await waitFor('the probe that sees the player arrive', async () => (await reserved(manager as RunningManager)) === 2);
    // Its place is taken: the next game of the same client is a new place.
    expect((await ask(manager, alice)).status).toBe(200);
    expect(await reserved(manager)).toBe(3);
  });

  it.each([
    ['empty', ''],
    ['with a space', 'alice 7f3a'],
    ['too long', 'a'.repeat(129)],
    ['not ASCII', 'alicé'],
  ])('a malformed Fleet-Client-Id (%s) is a 400 that names the rule, and reserves nothing', async (_case, id) => {
    manager = await start(roomy);
    const answer = await getJson<{ error: string }>(`${manager.url}/available-gameserver/`, { 'fleet-client-id': id });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'Fleet-Client-Id must be 1 to 128 visible ASCII characters (no spaces)' });
    expect(await reserved(manager)).toBe(0);
  });

  it('an IPv6 client is known by its /64: a new address in the same /64 is the same client', async () => {
    manager = await start({ ...roomy, TRUSTED_PROXIES: 'loopback' });
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) statuses.push((await ask(manager, { 'x-forwarded-for': `2001:db8:1:2::${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await ask(manager, { 'x-forwarded-for': '2001:db8:1:3::1' })).status).toBe(200);
  });

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
    expect(await metric(manager, 'fleet_manager_allocations_total{outcome="limited",limit="allocations_per_minute"}')).toBe(1);
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

  describe('with CLIENT_TICKET_SECRET set, a client needs a ticket signed with it', () => {
    const SECRET = 'studio-ticket-secret-0123456789abcdef';
    const inAMinute = () => Math.floor(Date.now() / 1000) + 60;

    it('a valid ticket is given a place and the list; each refusal is a 401 that says why, reserves nothing and is counted', async () => {
      const ticket = { authorization: `Bearer ${signTicket(SECRET, inAMinute())}` };
      manager = await start({ ...roomy, CLIENT_TICKET_SECRET: SECRET }, ticket);
      expect((await ask(manager, ticket)).status).toBe(200);
      expect((await getJson(`${manager.url}/available-gameserver-list/`, ticket)).status).toBe(200);

      const refusals: { headers: Record<string, string>; error: unknown; challenge: unknown }[] = [
        { headers: {}, error: 'a ticket is required: send Authorization: Bearer <ticket>', challenge: 'Bearer realm="fleet-manager"' },
        { headers: { authorization: 'Bearer not-a-ticket' }, error: expect.stringMatching(/^the ticket is malformed/), challenge: expect.stringMatching(/^Bearer realm="fleet-manager", error="invalid_token", error_description="the ticket is malformed/) },
        { headers: { authorization: `Bearer ${signTicket('another-secret-0123456789abcdef-xyz', inAMinute())}` }, error: "the ticket was not signed with this fleet's secret", challenge: expect.stringContaining('error="invalid_token"') },
        { headers: { authorization: `Bearer ${signTicket(SECRET, Math.floor(Date.now() / 1000) - 1)}` }, error: 'the ticket has expired', challenge: expect.stringContaining('error="invalid_token"') },
      ];
      for (const { headers, error, challenge } of refusals) {
        const answer = await ask(manager, headers);
        expect({ status: answer.status, body: answer.body, challenge: answer.headers.get('www-authenticate') }).toEqual({ status: 401, body: { error }, challenge });
      }
      expect((await getJson(`${manager.url}/available-gameserver-list/`)).status).toBe(401);
      expect(await reserved(manager)).toBe(1);
      for (const reason of ['missing', 'malformed', 'forged', 'expired']) {
        expect(await metric(manager, `fleet_manager_client_tickets_refused_total{reason="${reason}"}`)).toBe(reason === 'missing' ? 2 : 1);
      }
    });
  });
});
