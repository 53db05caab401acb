import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  acceptingServers,
  destroyFleet,
  getJson,
  isAlive,
  metric,
  newStateDir,
  recordedServers,
  reportedFreeCapacity,
  RunningManager,
  startManager,
  TEST_ENV,
  waitFor,
} from '../support/manager';
import { killManager, ManagerProcess, spawnManager } from '../support/manager-process';
import { endScenario } from '../support/scenario';
import { ArrivedPlayer, arrive } from '../support/players';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

async function call(manager: RunningManager, method: string, path: string, headers: Record<string, string> = auth) {
  const response = await fetch(`${manager.url}${path}`, { method, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

describe('operations', () => {
  let manager: RunningManager;
  const players: ArrivedPlayer[] = [];

  afterEach(() => endScenario(manager, players));

  describe('settings at run time (PATCH /fleet/settings)', () => {
    const patch = (body: unknown, headers: Record<string, string> = auth) =>
      fetch(`${manager.url}/fleet/settings`, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

    it('changes the margins and the mode without a restart, validated as the environment is, logged with the decisions', async () => {
      manager = await startManager({ ADMIN_TOKEN: TOKEN });
      await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);

      // The same rule and message as at start-up, and nothing changes.
      const flapping = await patch({ UPSCALE_MARGIN: 10 });
      expect(flapping.status).toBe(400);
      expect(flapping.body.message).toEqual([expect.stringMatching(/^Invalid settings: DOWNSCALE_MARGIN=18 must exceed UPSCALE_MARGIN=10 by more than SERVER_CAPACITY=10/)]);
      expect((await patch({ UPSCALE_MARGIN: 'four' })).body.message).toEqual(['Invalid setting UPSCALE_MARGIN="four": must be a whole number >= 0']);
      expect((await patch({ SERVER_CAPACITY: 5 })).body.message).toEqual([expect.stringMatching(/^SERVER_CAPACITY cannot be changed at run time; these can: MARGIN_MODE, UPSCALE_MARGIN/)]);
      expect((await patch({ UPSCALE_MARGIN: 6 }, { authorization: 'Bearer wrong-token-wrong-token-wrong' })).status).toBe(403);
      expect((await call(manager, 'GET', '/fleet')).body.margins).toMatchObject({ upscaleMargin: 4, downscaleMargin: 18, mode: 'fixed' });

      const changed = await patch({ MARGIN_MODE: 'adaptive', UPSCALE_MARGIN: 6, DOWNSCALE_MARGIN: '20' });
      expect(changed.status).toBe(200);
      expect(changed.body.settings).toEqual({ MARGIN_MODE: 'adaptive', UPSCALE_MARGIN: 6, DOWNSCALE_MARGIN: 20, MIN_SERVERS: 1, MAX_SERVERS: 100, CAPACITY_SCHEDULE: null });
      expect(changed.body.changes).toEqual([
        { at: expect.any(String), changes: { MARGIN_MODE: { from: 'fixed', to: 'adaptive' }, UPSCALE_MARGIN: { from: 4, to: 6 }, DOWNSCALE_MARGIN: { from: 18, to: 20 } } },
      ]);
      // The next pass holds them, and is recorded with the change.
      const decision = await waitFor('a decision recorded with the change', async () =>
        ((await call(manager, 'GET', '/fleet/decisions')).body.decisions as { settingsChanged?: unknown[]; margins: { mode: string; upscaleMargin: number } }[]).find((d) => d.settingsChanged),
      );
      expect(decision.margins).toMatchObject({ mode: 'adaptive' });
      expect(decision.margins.upscaleMargin).toBeGreaterThanOrEqual(6);
      expect((await call(manager, 'GET', '/fleet')).body.margins).toMatchObject({ upscaleMargin: 6, downscaleMargin: 20, mode: 'adaptive' });
      expect(await metric(manager, 'fleet_manager_effective_upscale_margin')).toBeGreaterThanOrEqual(6);
    });
  });

  describe('a capacity schedule set at run time (PATCH /fleet/settings)', () => {
    it('warms the fleet for a window declared while the manager runs, shows it in /fleet, and lets it go when cleared', async () => {
      manager = await startManager({ ADMIN_TOKEN: TOKEN, SLEEP_TIME: '0.2' });
      await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
      const settings = (body: unknown) =>
        fetch(`${manager.url}/fleet/settings`, { method: 'PATCH', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

      // Named as at start-up, and nothing changes.
      const refused = await settings({ CAPACITY_SCHEDULE: [{ name: 'release', start: '2030-01-01T00:00:00Z', end: '2030-01-01T01:00:00Z' }] });
      expect(refused).toMatchObject({ status: 400, body: { message: ['Invalid setting CAPACITY_SCHEDULE: window 1: asks for nothing: give "freePlaces" or "minServers" above 0'] } });

      // A window on now, for an hour: 25 free places, three servers of 10 where one serves otherwise.
      const window = { name: 'release', start: new Date(Date.now() - 60_000).toISOString(), end: new Date(Date.now() + 3_600_000).toISOString(), freePlaces: 25 };
      const set = await settings({ CAPACITY_SCHEDULE: [window] });
      expect(set.status).toBe(200);
      expect(set.body.settings.CAPACITY_SCHEDULE).toBe(JSON.stringify([window]));
      await waitFor('25 free places', async () => (await reportedFreeCapacity(await acceptingServers(manager))) >= 25);
      expect((await call(manager, 'GET', '/fleet')).body.margins.scheduled).toEqual({ freePlaces: 25, minServers: 0, windows: ['release'] });

      expect((await settings({ CAPACITY_SCHEDULE: [] })).status).toBe(200);
      await waitFor('the margins without the window', async () => (await call(manager, 'GET', '/fleet')).body.margins.scheduled === undefined);
      expect((await call(manager, 'GET', '/fleet')).body.margins).toMatchObject({ upscaleMargin: 4, downscaleMargin: 18 });
    });
  });

  describe('GET /metrics', () => {
    it('counts what happened in a real scenario: allocations by outcome, launches, platform calls, probe failures, replacements', async () => {
      // A failing server handed places keeps UNHEALTHY_PLAYER_GRACE until a good report says it is empty, and a killed
      // server sends none: whether one came between the places and the kill is a race, so the grace is 1 s here.
      manager = await startManager({ SERVER_CAPACITY: '3', UPSCALE_MARGIN: '1', DOWNSCALE_MARGIN: '5', MAX_SERVERS: '1', RESERVATION_TIMEOUT: '1', UNHEALTHY_PLAYER_GRACE: '1' });
      await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
      for (let i = 0; i < 4; i++) await getJson(`${manager.url}/available-gameserver/`);

      expect(await metric(manager, 'fleet_manager_allocations_total{outcome="server"}')).toBe(3);
      expect(await metric(manager, 'fleet_manager_allocations_total{outcome="none"}')).toBe(1);
      expect(await metric(manager, 'fleet_manager_allocations_total{outcome="backup"}')).toBeUndefined();
      expect(await metric(manager, 'fleet_manager_allocation_duration_seconds_count')).toBe(4);
      // Counted by the passes; the launch watch may have shown the server ready before one ran.
      await waitFor('a pass to count the ready server', async () => (await metric(manager, 'fleet_manager_servers{state="ready"}')) === 1);
      expect(await metric(manager, 'fleet_manager_upscale_margin')).toBe(1);
      expect(await metric(manager, 'fleet_manager_downscale_margin')).toBe(5);
      expect(await metric(manager, 'fleet_manager_scaling_actions_total{kind="launch",origin="policy"}')).toBe(1);
      expect(await metric(manager, 'fleet_manager_platform_calls_total{operation="discover"}')).toBe(1);
      expect(await metric(manager, 'fleet_manager_platform_calls_total{operation="launch"}')).toBe(1);
      expect(await metric(manager, 'fleet_manager_probe_failures_total')).toBe(0);
      expect(await metric(manager, 'fleet_manager_reconcile_pass_duration_seconds_count')).toBeGreaterThan(0);

      const [server] = await recordedServers(manager.stateDir);
      process.kill(server.pid, 'SIGKILL');
      await waitFor('the replacement', async () => (await metric(manager, 'fleet_manager_scaling_actions_total{kind="launch",origin="policy"}')) === 2);
      // The platform's stop is counted once it has finished, which may come after the launch began.
      await waitFor('the stop to finish', async () => (await metric(manager, 'fleet_manager_platform_calls_total{operation="stop"}')) === 1);
      expect(await metric(manager, 'fleet_manager_probe_failures_total')).toBeGreaterThanOrEqual(2);
      expect(await metric(manager, 'fleet_manager_scaling_actions_total{kind="stop",origin="policy"}')).toBe(1);
      expect(await metric(manager, 'fleet_manager_platform_errors_total{operation="stop"}')).toBeUndefined();
    });
  });

  describe('operator endpoints', () => {
    it('are absent (404) when ADMIN_TOKEN is not set', async () => {
      manager = await startManager();
      expect((await call(manager, 'GET', '/fleet')).status).toBe(404);
      expect((await call(manager, 'POST', '/fleet/reconcile')).status).toBe(404);
    });

    it.each([
      ['no Authorization header', {}, 401],
      ['a non-Bearer scheme', { authorization: `Basic ${TOKEN}` }, 401],
      ['a wrong token', { authorization: 'Bearer wrong-token-0123456789' }, 403],
      ['the token with a suffix', { authorization: `Bearer ${TOKEN}x` }, 403],
      ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, 403],
    ])('refuse %s', async (_case, headers, status) => {
      manager = await startManager({ ADMIN_TOKEN: TOKEN });
      const answer = await call(manager, 'GET', '/fleet', headers);
      expect(answer.status).toBe(status);
      expect(JSON.stringify(answer.body)).not.toContain(TOKEN);
    });

    it('take the scheme in any case (RFC 9110), as some HTTP libraries send it', async () => {
      manager = await startManager({ ADMIN_TOKEN: TOKEN });
      expect((await call(manager, 'GET', '/fleet', { authorization: `bearer ${TOKEN}` })).status).toBe(200);
    });

    it('show the whole fleet with totals and margins', async () => {
      manager = await startManager({ ADMIN_TOKEN: TOKEN });
      await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
      players.push(await arrive(manager));
      const fleet = await call(manager, 'GET', '/fleet');
      expect(fleet.status).toBe(200);
      expect(fleet.body).toMatchObject({
        platform: 'local',
        totals: { serversByState: { ready: 1, launching: 0, draining: 0, unhealthy: 0, stopping: 0 } },
        margins: { upscaleMargin: 4, downscaleMargin: 18, serverCapacity: 10, minServers: 1, maxServers: 100 },
      });
      const [server] = fleet.body.servers;
      expect(server).toMatchObject({ state: 'ready', address: players[0].address, reserved: expect.any(Number), readyToClose: expect.any(Boolean) });
      // The place handed out is reserved until a report shows the player on the server, then released:
      // well before RESERVATION_TIMEOUT (15 s), which would release it either way.
      await waitFor('the report to show the player, and the reservation released', async () => {
        const [now] = (await call(manager, 'GET', '/fleet')).body.servers;
        return now.reportedCapacity === 9 && now.reserved === 0;
      }, 5_000);
      expect(server.platformIds).toEqual({ pid: expect.any(String), port: players[0].address.split(':')[1] });
    });

    it('drain, undrain and stop real game servers; stop is refused while a server has players unless forced', async () => {
      // 7 players on the first server bring a second one; draining the first still leaves the margin, so the policy keeps it draining.
      manager = await startManager({ ADMIN_TOKEN: TOKEN, DOWNSCALE_MARGIN: '30' });
      await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
      for (let i = 0; i < 7; i++) players.push(await arrive(manager));
      await waitFor('two ready servers', async () => (await acceptingServers(manager)).length === 2);
      const busy = (await call(manager, 'GET', '/fleet')).body.servers.find((s: { address: string }) => s.address === players[0].address);
      expect(players.every((p) => p.address === busy.address)).toBe(true);

      expect(await call(manager, 'POST', `/fleet/servers/${busy.id}/drain`)).toMatchObject({ status: 202, body: { id: busy.id, state: 'draining' } });
      await sleep(600);
      expect(await acceptingServers(manager)).not.toContain(busy.address);
      expect((await recordedServers(manager.stateDir)).find((s) => s.id === busy.id)?.draining).toBe(true);
      expect(players.every((p) => p.socket.readyState === p.socket.OPEN)).toBe(true);
      expect((await call(manager, 'POST', `/fleet/servers/${busy.id}/drain`)).status).toBe(409);

      expect(await call(manager, 'POST', `/fleet/servers/${busy.id}/undrain`)).toMatchObject({ status: 202, body: { state: 'ready' } });
      expect(await acceptingServers(manager)).toContain(busy.address);
      expect((await call(manager, 'POST', `/fleet/servers/${busy.id}/undrain`)).status).toBe(409);

      const refused = await call(manager, 'POST', `/fleet/servers/${busy.id}/stop`);
      expect(refused.status).toBe(409);
      expect(refused.body.message).toMatch(/has players/);

      const { pid } = (await recordedServers(manager.stateDir)).find((s) => s.id === busy.id)!;
      const closed = Promise.all(players.map((p) => once(p.socket, 'close')));
      expect(await call(manager, 'POST', `/fleet/servers/${busy.id}/stop?force=true`)).toMatchObject({ status: 202, body: { state: 'stopping' } });
      await closed;
      await waitFor('the stopped server to be gone', async () => !(await recordedServers(manager.stateDir)).some((s) => s.id === busy.id));
      expect(isAlive(pid)).toBe(false);
      expect(await acceptingServers(manager)).not.toContain(busy.address);

      // The other server, ready: the stopped one may still be listed, as stopping, until it is gone.
      const idle = (await call(manager, 'GET', '/fleet')).body.servers.find((s: { id: string; state: string }) => s.id !== busy.id && s.state === 'ready');
      expect(await call(manager, 'POST', `/fleet/servers/${idle.id}/stop?force=maybe`)).toMatchObject({ status: 400 });
      expect((await call(manager, 'POST', '/fleet/servers/gs-nope/stop')).status).toBe(404);
      expect(await call(manager, 'POST', `/fleet/servers/${idle.id}/stop`)).toMatchObject({ status: 202, body: { state: 'stopping' } });
    });

    it('run a pass on demand and show the last decisions with their inputs and reasons', async () => {
      manager = await startManager({ ADMIN_TOKEN: TOKEN, SLEEP_TIME: '30' });
      await waitFor('the first launch to be recorded', async () => (await call(manager, 'GET', '/fleet/decisions')).body.decisions.length === 1);
      const pass = await call(manager, 'POST', '/fleet/reconcile');
      expect(pass.status).toBe(200);
      const { decisions } = (await call(manager, 'GET', '/fleet/decisions')).body;
      expect(decisions[0]).toMatchObject({
        at: expect.any(String),
        serversByState: { ready: 0, launching: 0 },
        decision: { freeCapacityBefore: 0, actions: [{ kind: 'launch', count: 1, reason: 'free capacity 0 below upscale margin 4' }] },
      });
      expect(pass.body.lastDecision).toEqual(decisions.at(-1));
      // No pass is due for 30 s: the launch watch sees the new server answer.
      await waitFor('the launched server to take players', async () => (await acceptingServers(manager)).length === 1, 10_000);
    });
  });

  describe('the fleet\'s history (GET /fleet/history)', () => {
    it('charts each pass\'s fleet, a point per step, and only the points since the time asked', async () => {
      manager = await startManager({ ADMIN_TOKEN: TOKEN });
      // The launch watch sees the server answer before a pass does: the chart shows it from the pass after.
      const body = await waitFor('a pass that counted the ready server', async () => {
        const history = (await call(manager, 'GET', '/fleet/history')).body;
        return history.points.at(-1)?.serversByState.ready === 1 && history;
      });
      expect(body.stepSeconds).toBe(10);
      const last = body.points.at(-1);
      expect(last).toMatchObject({ capacityUp: 10, upscaleMargin: 4, downscaleMargin: 18, serversByState: { ready: 1 } });
      // The launch of the first server is in the history, in the step of the pass that decided it.
      expect(body.points.reduce((sum: number, point: { launches: number }) => sum + point.launches, 0)).toBe(1);
      expect((await call(manager, 'GET', `/fleet/history?since=${last.at + 1}`)).body.points).toEqual([]);
      expect(await call(manager, 'GET', '/fleet/history?since=yesterday')).toMatchObject({ status: 400, body: { message: 'since must be a time in ms since the epoch' } });
    });
  });

  describe('CORS', () => {
    it('lets any origin call the client endpoints by default, and no origin the operator endpoints', async () => {
      manager = await startManager({ ADMIN_TOKEN: TOKEN });
      const client = await fetch(`${manager.url}/available-gameserver-list/`, { headers: { origin: 'https://play.example.com' } });
      expect(client.headers.get('access-control-allow-origin')).toBe('*');
      expect(client.headers.get('x-frame-options')).toBe('DENY');
      expect(client.headers.get('content-type')).toBe('application/json; charset=utf-8');
      // CORS headers are for browsers, and a browser's cross-origin request always carries Origin.
      const notBrowser = await fetch(`${manager.url}/available-gameserver-list/`);
      expect(notBrowser.status).toBe(200);
      expect(notBrowser.headers.get('access-control-allow-origin')).toBeNull();
      const operator = await fetch(`${manager.url}/fleet`, { headers: { ...auth, origin: 'https://play.example.com' } });
      expect(operator.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(`${manager.url}/fleet/reconcile`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      const clientPreflight = await fetch(`${manager.url}/available-gameserver/`, {
        method: 'OPTIONS',
        headers: { origin: 'https://play.example.com', 'access-control-request-method': 'GET' },
      });
      expect(clientPreflight.status).toBe(204);
      expect(clientPreflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(clientPreflight.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
      expect(clientPreflight.headers.get('x-frame-options')).toBe('DENY');
    });

    it('allows only the configured origins when CORS_ORIGINS is set', async () => {
      manager = await startManager({ CORS_ORIGINS: 'https://play.example.com, https://beta.example.com' });
      const allowed = await fetch(`${manager.url}/available-gameserver-list/`, { headers: { origin: 'https://beta.example.com' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://beta.example.com');
      expect(allowed.headers.get('vary')).toContain('Origin');
      const other = await fetch(`${manager.url}/available-gameserver-list/`, { headers: { origin: 'https://evil.example.com' } });
      expect(other.status).toBe(200);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = (origin: string) =>
        fetch(`${manager.url}/available-gameserver/`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
      const allowedPreflight = await preflight('https://play.example.com');
      expect(allowedPreflight.status).toBe(204);
      expect(allowedPreflight.headers.get('access-control-allow-origin')).toBe('https://play.example.com');
      expect(allowedPreflight.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
      expect((await preflight('https://evil.example.com')).headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('OpenAPI', () => {
    it('documents every route at /docs, the client ones included', async () => {
      manager = await startManager({ ADMIN_TOKEN: TOKEN });
      const document = await getJson(`${manager.url}/docs/json`);
      expect(document.status).toBe(200);
      const routes = Object.entries(document.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(routes.sort()).toEqual(
        [
          'GET /available-gameserver',
          'GET /available-gameserver-list',
          'GET /health',
          'GET /health/ready',
          'GET /metrics',
          'GET /fleet',
          'GET /fleet/decisions',
          'GET /fleet/demand',
          'GET /fleet/history',
          'GET /fleet/settings',
          'PATCH /fleet/settings',
          'POST /fleet/reconcile',
          'POST /fleet/servers/{id}/drain',
          'POST /fleet/servers/{id}/undrain',
          'POST /fleet/what-if',
          'POST /fleet/servers/{id}/stop',
        ].sort(),
      );
      expect(document.body.paths['/available-gameserver'].get.responses['200'].content['application/json'].schema).toBeDefined();
      // The client API is documented by hand: its schemas must name exactly the fields of its real answers.
      const documented = (path: string, status: string) => {
        const ref: string = document.body.paths[path].get.responses[status].content['application/json'].schema.$ref;
        return Object.keys(document.body.components.schemas[ref.split('/').pop() as string].properties).sort();
      };
      const noRoom = await getJson(`${manager.url}/available-gameserver/`);
      expect(noRoom.status).toBe(503);
      expect(documented('/available-gameserver', '503')).toEqual(Object.keys(noRoom.body).sort());
      expect(documented('/available-gameserver', '200')).toEqual(['available']);
      expect(documented('/available-gameserver-list', '200')).toEqual(Object.keys((await getJson(`${manager.url}/available-gameserver-list/`)).body));
      const ui = await fetch(`${manager.url}/docs`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('swagger');
    });
  });
});

describe('the manager process in operation', () => {
  let stateDir: string;
  let manager: ManagerProcess | undefined;

  beforeEach(async () => {
    stateDir = await newStateDir();
  });

  afterEach(async () => {
    if (manager) await killManager(manager, 'SIGKILL');
    manager = undefined;
    await destroyFleet(stateDir);
  });

  it('never writes the admin token to its logs, whatever the requests and the log level', async () => {
    manager = await spawnManager({ ...TEST_ENV, LOG_LEVEL: 'trace', ADMIN_TOKEN: TOKEN, LOCAL_STATE_DIR: stateDir });
    await waitFor('readiness', async () => (await getJson(`${manager!.url}/health/ready`)).status === 200);
    const wrong = 'wrong-token-abcdefghijklmn';
    for (const authorization of [`Bearer ${TOKEN}`, `Bearer ${wrong}`, TOKEN]) {
      await fetch(`${manager.url}/fleet`, { headers: { authorization } });
      await fetch(`${manager.url}/fleet/reconcile`, { method: 'POST', headers: { authorization } });
      await fetch(`${manager.url}/nope?token=x`, { headers: { authorization } });
    }
    // Every request logged (the last ones are the three 404s), rather than a fixed wait that a slow machine outlasts.
    const logs = await waitFor('every request to be logged', () => {
      const output = manager!.output();
      return (output.match(/"url":"\/nope/g) ?? []).length >= 3 && output;
    });
    expect(logs).toContain('"url":"/fleet"');
    expect(logs).not.toContain(TOKEN);
    expect(logs).not.toContain(wrong);
    expect(logs.toLowerCase()).not.toContain('bearer');
    for (const line of logs.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('on SIGTERM during a pass: lets the pass and in-flight requests finish, exits, and leaves game servers running', async () => {
    // A game server that accepts connections but never answers its health endpoint keeps every pass probing for PROBE_TIMEOUT.
    const hanging = join(stateDir, 'hanging-server.js');
    await writeFile(hanging, "require('node:net').createServer(() => {}).listen(Number(process.env.PORT), '127.0.0.1');\n");
    manager = await spawnManager({
      ...TEST_ENV,
      ADMIN_TOKEN: TOKEN,
      LOCAL_STATE_DIR: stateDir,
      LOCAL_GAMESERVER_COMMAND: `'${process.execPath}' '${hanging}'`,
      PROBE_TIMEOUT: '2',
      LAUNCH_TIMEOUT: '600',
    });
    const [server] = await waitFor('a launched server', async () => {
      const servers = await recordedServers(stateDir);
      return servers.length > 0 && servers;
    });
    let sent!: () => void;
    const written = new Promise<void>((resolve) => (sent = resolve));
    const inFlight = new Promise<{ status: number }>((resolve, reject) => {
      const request = httpRequest(`${manager!.url}/fleet/reconcile`, { method: 'POST', headers: auth, agent: false }, (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0 });
      });
      request.once('error', reject);
      request.end(sent);
    });
    await written;
    // A request that reached the manager after that one is answered: so that one was read too (one
    // event loop takes its connections in order), and is in flight when SIGTERM comes.
    expect((await fetch(`${manager.url}/health`)).status).toBe(200);

    const started = Date.now();
    manager.child.kill('SIGTERM');
    const answer = await inFlight;
    await once(manager.child, 'exit');

    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(manager.output()).not.toMatch(/"level":50/);
    expect(isAlive(server.pid)).toBe(true);
  });
});
