import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { acceptingServers, metric, reportedFreeCapacity, RunningManager, startManager, waitFor } from '../support/manager';
import { endScenario } from '../support/scenario';
import { ArrivedPlayer, arriveAskingAgain } from '../support/players';

const EFFECTIVE = 'fleet_manager_effective_upscale_margin';
const TOKEN = 'adaptive-test-token-0123456789';
/** `npm test` builds first, so this is the CLI as `npm run simulate` runs it. */
const SIMULATE_CLI = join(__dirname, '..', '..', 'dist', 'simulation', 'simulate-cli.js');

describe('the adaptive margin (MARGIN_MODE=adaptive) against real game server processes', () => {
  let manager: RunningManager;
  const players: ArrivedPlayer[] = [];

  afterEach(() => endScenario(manager, players));

  it('grows above UPSCALE_MARGIN while players ramp up, from the boot times it measured, and expects no growth once they stop coming', async () => {
    // Passes 2 s apart: the horizon is a boot and a pass, so the growth it must cover is several
    // places at this rate, even once the local boots (well under a second) are measured.
    manager = await startManager({ MARGIN_MODE: 'adaptive', SLEEP_TIME: '2', ADMIN_TOKEN: TOKEN });
    await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
    expect(await metric(manager, EFFECTIVE)).toBe(4);

    // Batches of 3 players at once, about 2 batches a second, each player asking again on a 503 as a
    // game client does. Batches, so that the rate does not depend on how fast this machine joins
    // one player after another: a slow, even trickle is growth that the configured 4 covers. Over
    // 8 s at least: demand is counted in buckets of 5 s, and a ramp that fits in one shows no growth
    // from one bucket to the next.
    let largest = 0;
    for (let batch = 0; batch < 16; batch++) {
      players.push(...(await Promise.all(Array.from({ length: 3 }, (_, i) => arriveAskingAgain(manager, `a place for player ${batch * 3 + i + 1}`)))));
      largest = Math.max(largest, (await metric(manager, EFFECTIVE)) ?? 0);
      await sleep(500);
    }
    // The growth over a boot and a pass is several places at this rate: more than the 4 configured.
    expect(largest).toBeGreaterThan(4);
    expect(await metric(manager, 'fleet_manager_adaptive_margin_estimate{figure="growth"}')).toBeGreaterThan(0);
    // Launches were measured: the boot time counted on is no longer the local prior of 5 s.
    const boot = await waitFor('a boot time measured from the launches', async () => {
      const seconds = await metric(manager, 'fleet_manager_adaptive_margin_estimate{figure="boot_seconds"}');
      return seconds !== undefined && seconds !== 5 && seconds;
    });
    expect(boot).toBeGreaterThan(0);
    expect(boot).toBeLessThan(5);

    // Nobody arrives any more: once the ramp has left four horizons (about 25 s here), no growth is
    // expected. The room for noise stays for the hours the history covers: the ramp came in bursts.
    await waitFor('no growth expected', async () => (await metric(manager, 'fleet_manager_adaptive_margin_estimate{figure="growth"}')) === 0, 45_000);

    // The demand it recorded replays in the simulator as it is.
    const demand = await fetch(`${manager.url}/fleet/demand`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(demand.status).toBe(200);
    const trace = (await demand.json()) as { arrivals: number[]; startPlayers: number };
    expect(trace.arrivals.reduce((sum, n) => sum + n, 0)).toBeGreaterThanOrEqual(40);
    const dir = await mkdtemp(join(tmpdir(), 'recorded-'));
    try {
      await writeFile(join(dir, 'recorded.json'), JSON.stringify(trace));
      const { stdout } = await promisify(execFile)(process.execPath, [SIMULATE_CLI, join(dir, 'recorded.json'), '--json', '--boot', '1-2'], { timeout: 60_000 });
      expect(JSON.parse(stdout)).toMatchObject({ trace: 'recorded', players: trace.arrivals.reduce((sum, n) => sum + n, 0) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('scheduled capacity (CAPACITY_SCHEDULE) against real game server processes', () => {
  let manager: RunningManager;

  afterEach(() => endScenario(manager, []));

  it('warms the fleet before its window begins, not long before, and lets it go after', async () => {
    // A window from 12 s to 30 s from now asking for 25 free places: three servers of 10, where one serves otherwise.
    const start = Date.now() + 12_000;
    const window = { name: 'test event', start: new Date(start).toISOString(), end: new Date(start + 18_000).toISOString(), freePlaces: 25 };
    manager = await startManager({ CAPACITY_SCHEDULE: JSON.stringify([window]), SLEEP_TIME: '0.2', DOWNSCALE_MARGIN: '20' });
    await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
    // The lead is the local boot prior of 5 s and a pass: at 8 s before the window nothing has moved.
    while (Date.now() < start - 8_000) await sleep(200);
    expect(await acceptingServers(manager)).toHaveLength(1);
    const warm = await waitFor('25 free places', async () => {
      const servers = await acceptingServers(manager);
      return (await reportedFreeCapacity(servers)) >= 25 && Date.now();
    });
    expect(warm).toBeLessThan(start);
    expect(await metric(manager, EFFECTIVE)).toBe(25);
    const warmServers = (await acceptingServers(manager)).length;
    // After the window, the margin is the configured one again and the fleet drains back to what
    // the margins hold: 20 free places at most (DOWNSCALE_MARGIN), two empty servers.
    await waitFor('the margin back at UPSCALE_MARGIN', async () => (await metric(manager, EFFECTIVE)) === 4, 30_000);
    await waitFor('the fleet back at two servers', async () => (await acceptingServers(manager)).length === 2, 60_000);
    expect(warmServers).toBeGreaterThanOrEqual(3);
  }, 150_000);
});
