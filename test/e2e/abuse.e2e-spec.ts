import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptingServers, getJson, isAlive, recordedServers, RunningManager, startManager, waitFor } from '../support/manager';
import { endScenario } from '../support/scenario';
import { ArrivedPlayer, arrive } from '../support/players';

const HOSTILE = join(__dirname, '..', 'support', 'hostile-game-server.js');
const hostile = (mode: string, extra = '') => `MODE=${mode} ${extra} '${process.execPath}' '${HOSTILE}'`;

/** What a probe-heavy fleet needs: quick passes, quick probe timeouts, two failures to be replaced. */
const FAST = { SLEEP_TIME: '0.2', PROBE_TIMEOUT: '0.5', UNHEALTHY_THRESHOLD: '2', LAUNCH_TIMEOUT: '10' };

describe('abuse', () => {
  let manager: RunningManager;
  const players: ArrivedPlayer[] = [];

  afterEach(() => endScenario(manager, players));

  describe('game servers that misbehave after a good start', () => {
    it.each([
      ['garbage', 'answers HTML'],
      ['partial', 'answers partial JSON'],
      ['negative', 'reports a negative capacity'],
      ['absurd', 'reports 10^12 places'],
      ['huge', 'sends a 10 MB body'],
      ['hang', 'never answers'],
      ['slow', 'answers after 3 s', 'SLOW_MS=3000'],
    ])('%s (%s): given no players, stopped after UNHEALTHY_THRESHOLD failures and replaced; the manager keeps serving', async (mode, _what, extra = '') => {
      manager = await startManager({ ...FAST, LOCAL_GAMESERVER_COMMAND: hostile(mode, `GOOD_FOR_MS=1500 ${extra}`) });
      const [first] = await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1 && recordedServers(manager.stateDir));

      await waitFor('the bad server to be taken out of allocation', async () => !(await acceptingServers(manager)).includes(`127.0.0.1:${first.port}`));
      const answer = await getJson(`${manager.url}/available-gameserver/`);
      expect(answer.body.available).not.toBe(`127.0.0.1:${first.port}`);

      await waitFor('the bad server to be stopped and replaced', async () => {
        const servers = await recordedServers(manager.stateDir);
        return !servers.some((s) => s.id === first.id) && servers.length >= 1;
      }, 15_000);
      expect(isAlive(first.pid)).toBe(false);
      expect((await getJson(`${manager.url}/health`)).status).toBe(200);
      const metrics = await (await fetch(`${manager.url}/metrics`)).text();
      expect(Number(/fleet_manager_probe_failures_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
      expect(metrics).toMatch(/fleet_manager_scaling_actions_total\{kind="stop",origin="policy"\} [1-9]/);
    });

    describe('a flapping server: bursts of failed probes past UNHEALTHY_THRESHOLD, each followed by good ones', () => {
      const TOKEN = 'abuse-test-admin-token-012345';
      let silentDir: string;

      beforeEach(async () => {
        silentDir = await mkdtemp(join(tmpdir(), 'silent-'));
      });

      afterEach(() => rm(silentDir, { recursive: true, force: true }));

      interface FleetServer {
        id: string;
        state: string;
        readyToClose: boolean;
        reserved: number;
        consecutiveFailures: number;
      }

      const start = async () => {
        // The grace (UNHEALTHY_PLAYER_GRACE) stays at its default of 180 s: far longer than this test.
        manager = await startManager({ ...FAST, ADMIN_TOKEN: TOKEN, LOCAL_GAMESERVER_COMMAND: hostile('good', `SILENT_DIR='${silentDir}'`) });
        const [server] = await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1 && recordedServers(manager.stateDir));
        return server;
      };
      const viewOf = async (id: string) =>
        (await getJson<{ servers: FleetServer[] }>(`${manager.url}/fleet`, { authorization: `Bearer ${TOKEN}` })).body.servers.find((s) => s.id === id);
      /** Its probes time out while the file is there; its players stay connected. */
      const silence = (port: number) => writeFile(join(silentDir, String(port)), '');
      const speak = (port: number) => rm(join(silentDir, String(port)), { force: true });

      it('is never stopped while it has players, and takes players again after each burst', async () => {
        const server = await start();
        const address = `127.0.0.1:${server.port}`;
        players.push(await arrive(manager));
        expect(players[0].address).toBe(address);
        // The report itself shows the player (not only a place handed out): that is what keeps the server.
        await waitFor('the player in its report', async () => {
          const view = await viewOf(server.id);
          return view?.state === 'ready' && !view.readyToClose && view.reserved === 0;
        });

        for (let burst = 1; burst <= 2; burst++) {
          await silence(server.port);
          // One failure past the threshold: the policy has judged it unhealthy in at least two passes.
          const judged = await waitFor(`burst ${burst}: the server past UNHEALTHY_THRESHOLD, or stopped`, async () => {
            const view = await viewOf(server.id);
            return !view || view.state === 'stopping' || view.consecutiveFailures > Number(FAST.UNHEALTHY_THRESHOLD) ? (view ?? 'forgotten') : undefined;
          });
          expect(judged).toMatchObject({ state: 'unhealthy' });
          await speak(server.port);
          await waitFor(`burst ${burst}: the server to take players again`, async () => (await acceptingServers(manager)).includes(address));
        }

        expect((await recordedServers(manager.stateDir)).map((s) => s.id)).toContain(server.id);
        expect(isAlive(server.pid)).toBe(true);
        expect(players[0].socket.readyState).toBe(players[0].socket.OPEN);
      });

      it('without players, is stopped and replaced at its first burst', async () => {
        const server = await start();
        await silence(server.port);
        await waitFor('the empty server to be stopped and replaced', async () => {
          const servers = await recordedServers(manager.stateDir);
          return !servers.some((s) => s.id === server.id) && servers.length >= 1;
        });
        expect(isAlive(server.pid)).toBe(false);
      });
    });

    it('a server that crashes mid-game is replaced once UNHEALTHY_PLAYER_GRACE has passed (it had a player)', async () => {
      manager = await startManager({ ...FAST, UNHEALTHY_PLAYER_GRACE: '1', LOCAL_GAMESERVER_COMMAND: hostile('crash', 'CRASH_AFTER_MS=500 GOOD_FOR_MS=60000') });
      const [server] = await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1 && recordedServers(manager.stateDir));
      players.push(await arrive(manager));
      await waitFor('the crash to end the game', () => players[0].socket.readyState === players[0].socket.CLOSED);
      await waitFor('a replacement', async () => {
        const servers = await recordedServers(manager.stateDir);
        return servers.length >= 1 && !servers.some((s) => s.id === server.id);
      }, 15_000);
    });
  });

  it('10,000 allocation requests in flight at once over 3 servers: no server is handed more places than it reported', async () => {
    // One address sends them all: what is tested is the registry's count, not the limit per client.
    manager = await startManager({ SERVER_CAPACITY: '100', MIN_SERVERS: '3', MAX_SERVERS: '3', UPSCALE_MARGIN: '1', DOWNSCALE_MARGIN: '1000', SLEEP_TIME: '0', RESERVATION_TIMEOUT: '600', CLIENT_ALLOCATIONS_PER_MINUTE: '0', CLIENT_RESERVED_PLACES: '0' });
    await waitFor('three ready servers', async () => (await acceptingServers(manager)).length === 3);
    // 500 sockets carry the 10,000 requests, all sent at once: the fd limit would not take 10,000 sockets on both ends in one process.
    const agent = new Agent({ keepAlive: true, maxSockets: 500 });
    const { port } = new URL(manager.url);
    const allocate = () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/available-gameserver/', agent }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const answers = await Promise.all(Array.from({ length: 10_000 }, allocate));
    agent.destroy();

    const perServer = new Map<string, number>();
    for (const answer of answers.filter((a) => a.status === 200)) {
      const address = (JSON.parse(answer.body) as { available: string }).available;
      perServer.set(address, (perServer.get(address) ?? 0) + 1);
    }
    expect([...perServer.values()].sort()).toEqual([100, 100, 100]);
    expect(answers.filter((a) => a.status === 503)).toHaveLength(9_700);
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
  });

  describe('malformed requests get a 4xx, never a 5xx or a stack trace', () => {
    beforeEach(async () => {
      manager = await startManager({ MIN_SERVERS: '0', UPSCALE_MARGIN: '0' });
    });

    const noInternals = (body: string) => {
      expect(body).not.toMatch(/\bat \S+ \(|\.ts:\d+|node_modules|stack/i);
    };

    it.each([
      { what: 'an unknown route', method: 'GET', path: '/no-such-route', status: 404 },
      { what: 'an unknown method', method: 'PUT', path: '/available-gameserver/', status: 404 },
      { what: 'a method the client list does not take', method: 'POST', path: '/available-gameserver-list', status: 404 },
      { what: 'a path that only begins like a client endpoint', method: 'GET', path: '/available-gameserver-lists', status: 404 },
      { what: 'a method a route does not take', method: 'DELETE', path: '/health', status: 404 },
      { what: 'a 20,000-character URL', method: 'GET', path: `/available-gameserver/?${'x'.repeat(20_000)}=1`, status: 431 },
      { what: 'a bad query string (ignored; no room here, so 503)', method: 'GET', path: '/available-gameserver/?a=%zz&b[]=1&b[]=2&c=%00', status: 503 },
      { what: 'a bad percent-encoding in a path parameter', method: 'POST', path: '/fleet/servers/%zz/stop', status: 400 },
      { what: 'a bad percent-encoding', method: 'GET', path: '/%', status: 400 },
    ])('$what: $status', async ({ method, path, status }) => {
      const response = await fetch(`${manager.url}${path}`, { method });
      expect(response.status).toBe(status);
      noInternals(await response.text());
    });

    it.each(['/fleet/reconcile', '/available-gameserver/'])('a request body over the limit is refused with 413, not read into memory: POST %s', async (path) => {
      const response = await fetch(`${manager.url}${path}`, { method: 'POST', body: 'z'.repeat(2 * 1024 * 1024), headers: { 'content-type': 'application/json' } });
      expect(response.status).toBe(413);
      noInternals(await response.text());
    });

    it('a 64 KiB header is refused with 431', async () => {
      const response = await fetch(`${manager.url}/health`, { headers: { 'x-junk': 'y'.repeat(64 * 1024) } });
      expect(response.status).toBe(431);
    });

    it('bytes that are not HTTP get 400 and a closed connection', async () => {
      const { port } = new URL(manager.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write('GARBAGE \x00\x01\x02 NOT HTTP\r\n\r\n'));
        let data = '';
        socket.on('data', (chunk) => (data += chunk.toString()));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400/);
      expect((await getJson(`${manager.url}/health`)).status).toBe(200);
    });

    it('every page and operator answer carries the full set of security headers', async () => {
      for (const path of ['/health', '/metrics', '/no-such-route', '/docs/json', '/available-gameserver/?x', '/available-gameserver-list/']) {
        const response = await fetch(`${manager.url}${path}`, path.endsWith('?x') ? { method: 'DELETE' } : { method: 'POST' });
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('x-frame-options')).toBe('DENY');
        expect(response.headers.get('referrer-policy')).toBe('no-referrer');
        expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
        expect(response.headers.get('x-powered-by')).toBeNull();
      }
    });

    it("the game client endpoints answer with a JSON API's headers and no more (OWASP REST Security Cheat Sheet)", async () => {
      for (const path of ['/available-gameserver/', '/available-gameserver', '/available-gameserver-list/']) {
        for (const method of path.includes('list') ? ['GET', 'HEAD'] : ['GET']) {
          const response = await fetch(`${manager.url}${path}`, { method });
          const headers = Object.fromEntries([...response.headers].filter(([name]) => !['date', 'connection', 'keep-alive', 'content-length', 'retry-after'].includes(name)));
          expect({ path, method, headers }).toEqual({
            path,
            method,
            headers: {
              'cache-control': 'no-store',
              'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
              'content-type': 'application/json; charset=utf-8',
              'x-content-type-options': 'nosniff',
              'x-frame-options': 'DENY',
            },
          });
        }
      }
    });
  });
});
