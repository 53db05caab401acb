import { AllocationService } from '../../src/allocation/allocation.service';
import { acceptingServers, destroyFleet, getJson, recordedServers, RunningManager, startManager, waitFor } from '../support/manager';
import { connectPlayer } from '../support/players';

describe('game client endpoints', () => {
  let manager: RunningManager;

  afterEach(async () => {
    await manager?.close();
    await destroyFleet(manager.stateDir);
  });

  describe('with one ready server', () => {
    beforeEach(async () => {
      manager = await startManager();
      await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
    });

    it.each(['/available-gameserver/', '/available-gameserver'])('GET %s answers {"available": "<host>:<port>"}', async (path) => {
      const [server] = await acceptingServers(manager);
      const answer = await getJson(`${manager.url}${path}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ available: server });
      expect(server).toMatch(/^127\.0\.0\.1:\d+$/);
      // Each answer is for one client: no cache may keep it, not even one that ignores Vary.
      expect(answer.headers.get('cache-control')).toBe('no-store');
    });

    it.each(['/available-gameserver-list/', '/available-gameserver-list'])('GET %s lists the servers that take players', async (path) => {
      const answer = await getJson(`${manager.url}${path}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ server_list: [expect.stringMatching(/^127\.0\.0\.1:\d+$/)] });
    });

    it('hands out an address a real game client can join', async () => {
      const answer = await getJson<{ available: string }>(`${manager.url}/available-gameserver/`);
      const socket = await connectPlayer(answer.body.available);
      const health = await waitFor('the player to show in the server report', async () => {
        const report = await getJson(`http://${answer.body.available}/health/`);
        return report.body.available_capacity === 9 && report.body;
      });
      expect(health).toEqual({ available_capacity: 9, ready_to_close: false });
      socket.close();
    });

    it('GET /health is live and GET /health/ready is ready once the fleet is rebuilt', async () => {
      expect((await getJson(`${manager.url}/health`)).status).toBe(200);
      const ready = await getJson(`${manager.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body.details.fleet).toMatchObject({ status: 'up', servers: 1 });
      expect(ready.body.details.platform).toMatchObject({ status: 'up', name: 'local' });
    });

    it('answers unknown routes and methods with 404, not 5xx', async () => {
      expect((await getJson(`${manager.url}/nope`)).status).toBe(404);
      expect((await fetch(`${manager.url}/available-gameserver/`, { method: 'DELETE' })).status).toBe(404);
    });
  });

  describe('an allocation that finds no room, or runs the fleet low, starts a pass at once', () => {
    /** Passes run so far, as the manager's metrics count them. */
    const passes = async () => Number(/^fleet_manager_reconcile_pass_duration_seconds_count (\d+)$/m.exec(await (await fetch(`${manager.url}/metrics`)).text())?.[1] ?? 0);

    it('not at the next scheduled one, SLEEP_TIME later', async () => {
      // Passes 60 s apart: only allocations can bring the next one forward.
      manager = await startManager({ SLEEP_TIME: '60' });
      await waitFor('the first pass to launch a server', async () => (await passes()) === 1 && (await recordedServers(manager.stateDir)).length === 1);

      // Not probed yet, the server has no room to offer: each refused allocation asks for a pass, and one finds it up.
      // Asked a third of a second apart, as a game client waits between tries: each refusal counts
      // as a player still waiting, so asking every few milliseconds through a slow launch would
      // count dozens and launch a second server for them.
      const deadline = Date.now() + 10_000;
      while ((await getJson(`${manager.url}/available-gameserver/`)).status !== 200) {
        if (Date.now() > deadline) throw new Error('no allocation got a place within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      // Let any pass those refusals asked for run, so that the next one can come only from what follows.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const before = await passes();

      // 10 places, upscale margin 4: five more leave 4 free, the next one leaves 3, below the margin.
      for (let i = 0; i < 6; i++) expect((await getJson(`${manager.url}/available-gameserver/`)).status).toBe(200);
      await waitFor('a pass the last allocation asked for', async () => (await passes()) > before, 5_000);
      await waitFor('the second server it launched', async () => (await recordedServers(manager.stateDir)).length === 2, 5_000);
    });

    it('a client that names itself counts as one waiting player, however often it asks: no server is launched for its tries', async () => {
      // Servers of 3 places, margin 1: three players turned away in one pass would launch another.
      manager = await startManager({ SLEEP_TIME: '60', SERVER_CAPACITY: '3', UPSCALE_MARGIN: '1', DOWNSCALE_MARGIN: '5' });
      await waitFor('the first pass to launch a server', async () => (await passes()) === 1 && (await recordedServers(manager.stateDir)).length === 1);

      // A client in a hurry: five tries at once, again and again, until the launching server takes it.
      const impatient = { 'fleet-client-id': 'impatient-7c1d' };
      const deadline = Date.now() + 10_000;
      let refusals = 0;
      for (;;) {
        const answers = await Promise.all(Array.from({ length: 5 }, () => getJson(`${manager.url}/available-gameserver/`, impatient)));
        refusals += answers.filter((answer) => answer.status === 503).length;
        if (answers.some((answer) => answer.status === 200)) break;
        if (Date.now() > deadline) throw new Error('no allocation got a place within 10 s');
      }
      // Before each pass it asked for had seen the server up: tries enough to launch one had each counted.
      expect(refusals).toBeGreaterThanOrEqual(3);
      // The passes those refusals asked for have run.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await recordedServers(manager.stateDir)).toHaveLength(1);
    });
  });

  describe('when no server has room', () => {
    // One server of 3 places that may not grow: the 4th player finds no room.
    const fullFleet = { SERVER_CAPACITY: '3', UPSCALE_MARGIN: '1', DOWNSCALE_MARGIN: '5', MAX_SERVERS: '1' };

    async function fillTheOnlyServer(): Promise<string> {
      await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
      const addresses = new Set<string>();
      for (let i = 0; i < 3; i++) addresses.add((await getJson(`${manager.url}/available-gameserver/`)).body.available);
      expect(addresses.size).toBe(1);
      return [...addresses][0];
    }

    it('hands out BACKUP_GAMESERVER when it is set', async () => {
      manager = await startManager({ ...fullFleet, BACKUP_GAMESERVER: '127.0.0.1:8888' });
      const server = await fillTheOnlyServer();
      const answer = await getJson(`${manager.url}/available-gameserver/`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ available: '127.0.0.1:8888' });
      expect(server).not.toBe('127.0.0.1:8888');
    });

    it('answers 503 with Retry-After when there is no backup server', async () => {
      manager = await startManager(fullFleet);
      await fillTheOnlyServer();
      const answer = await getJson(`${manager.url}/available-gameserver/`);
      expect(answer.status).toBe(503);
      // MAX_SERVERS=1: nothing launches, so a pass (0.2 s) and a boot. One launch measured is no
      // proof of quick boots: the local prior of 5 s counts. ceil(5.2) = 6.
      expect(answer.headers.get('retry-after')).toBe('6');
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.body.available).toBeUndefined();
    });

    it('gives the places back once the reservation times out with nobody joining', async () => {
      manager = await startManager({ ...fullFleet, RESERVATION_TIMEOUT: '1' });
      await fillTheOnlyServer();
      expect((await getJson(`${manager.url}/available-gameserver/`)).status).toBe(503);
      const again = await waitFor('the reserved places to return', async () => {
        const answer = await getJson(`${manager.url}/available-gameserver/`);
        return answer.status === 200 && answer;
      }, 5000);
      expect(again.body.available).toMatch(/^127\.0\.0\.1:\d+$/);
    });
  });

  describe('served outside Nest, answering as the rest of the manager does', () => {
    beforeEach(async () => {
      manager = await startManager({ MIN_SERVERS: '0', UPSCALE_MARGIN: '0' });
    });

    it('a wrong method gets the same 404 as an unknown route', async () => {
      const client = await fetch(`${manager.url}/available-gameserver-list/`, { method: 'POST' });
      const nest = await fetch(`${manager.url}/no-such-route`, { method: 'POST' });
      expect([client.status, nest.status]).toEqual([404, 404]);
      expect(Object.keys((await client.json()) as object).sort()).toEqual(Object.keys((await nest.json()) as object).sort());
    });

    it('a failure inside answers a bare 500: no message, no internals', async () => {
      manager.app.get(AllocationService).allocateFor = () => Promise.reject(new Error('registry exploded at /app/src/fleet/fleet.registry.ts:123'));
      // With and without Origin: a browser's request goes through the CORS middleware first, and
      // its 500 must stay readable by the page.
      for (const origin of [undefined, 'https://play.example.com']) {
        const answer = await fetch(`${manager.url}/available-gameserver/`, { headers: origin ? { origin } : {} });
        expect(answer.status).toBe(500);
        expect(answer.headers.get('access-control-allow-origin')).toBe(origin ? '*' : null);
        expect(await answer.text()).not.toMatch(/exploded|\.ts/);
      }
    });

    it('HEAD of the allocation endpoint is refused, and reserves nothing', async () => {
      manager.app.get(AllocationService).allocateFor = () => {
        throw new Error('HEAD must not allocate');
      };
      const answer = await fetch(`${manager.url}/available-gameserver/`, { method: 'HEAD' });
      expect(answer.status).toBe(404);
    });

    it('HEAD answers as GET does, without the body', async () => {
      const answer = await fetch(`${manager.url}/available-gameserver-list`, { method: 'HEAD' });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(Number(answer.headers.get('content-length'))).toBe(JSON.stringify({ server_list: [] }).length);
      expect(await answer.text()).toBe('');
    });

    it("keeps connections alive as Fastify's own server would (longer than a load balancer's 60 s)", () => {
      expect(manager.app.getHttpServer().keepAliveTimeout).toBe(72_000);
    });
  });

  it('500 concurrent allocations never hand out more places than the servers reported', async () => {
    manager = await startManager({
      SERVER_CAPACITY: '50',
      MIN_SERVERS: '3',
      MAX_SERVERS: '3',
      UPSCALE_MARGIN: '1',
      DOWNSCALE_MARGIN: '500',
      SLEEP_TIME: '0',
      RESERVATION_TIMEOUT: '60',
      // One address sends them all: what is tested is the registry's count, not the limits per client.
      CLIENT_RESERVED_PLACES: '0',
    });
    await waitFor('three ready servers', async () => (await acceptingServers(manager)).length === 3);

    const answers = await Promise.all(Array.from({ length: 500 }, () => getJson(`${manager.url}/available-gameserver/`)));

    const perServer = new Map<string, number>();
    for (const answer of answers.filter((a) => a.status === 200)) {
      perServer.set(answer.body.available, (perServer.get(answer.body.available) ?? 0) + 1);
    }
    expect([...perServer.values()].every((count) => count <= 50)).toBe(true);
    expect([...perServer.values()].reduce((a, b) => a + b, 0)).toBe(150);
    expect(answers.filter((a) => a.status === 503)).toHaveLength(350);
    // Passes kept probing all along; none of them gave the reserved places away again.
    expect((await getJson(`${manager.url}/available-gameserver/`)).status).toBe(503);
  });
});
