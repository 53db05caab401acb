import { setTimeout as sleep } from 'node:timers/promises';
import { clientAt, flood, getFrom } from '../support/clients-from';
import { destroyFleet, getJson, newStateDir, TEST_ENV, waitFor } from '../support/manager';
import { killManager, ManagerProcess, spawnManager } from '../support/manager-process';
import { ArrivedPlayer, connectPlayer, leave } from '../support/players';

const TOKEN = 'public-endpoint-abuse-token-0123456789';

/** What the manager shows while the test runs: its fleet, and the share of CLIENT_RESERVED_PLACES the client nearest it holds. */
interface Watched {
  mostServers: number;
  mostHeldShare: number;
}

async function fleetSize(manager: ManagerProcess): Promise<number> {
  return (await getJson<{ servers: unknown[] }>(`${manager.url}/fleet`, { authorization: `Bearer ${TOKEN}` })).body.servers.length;
}

async function metricOf(manager: ManagerProcess, sample: string): Promise<number | undefined> {
  const line = (await (await fetch(`${manager.url}/metrics`)).text()).split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

/** Samples the fleet and the limits every 100 ms until stopped. */
function watch(manager: ManagerProcess): { readonly seen: Watched; stop(): Promise<void> } {
  const seen: Watched = { mostServers: 0, mostHeldShare: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      seen.mostServers = Math.max(seen.mostServers, await fleetSize(manager));
      seen.mostHeldShare = Math.max(seen.mostHeldShare, (await metricOf(manager, 'fleet_manager_client_limit_peak_ratio{limit="reserved_places"}')) ?? 0);
      await sleep(100);
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** One real player at its own address: asks for a place, and joins the server it was given. */
async function playerAt(manager: ManagerProcess, address: string): Promise<{ status: number; player?: ArrivedPlayer }> {
  const agent = clientAt(address);
  try {
    const answer = await getFrom(agent, `${manager.url}/available-gameserver/`);
    if (answer.status !== 200) return { status: answer.status };
    const given = (JSON.parse(answer.body) as { available: string }).available;
    return { status: answer.status, player: { address: given, socket: await connectPlayer(given) } };
  } finally {
    agent.destroy();
  }
}

/** Figures for the record, when asked for (TEST_FIGURES=1); tests stay quiet otherwise. */
function record(what: string, figures: object): void {
  if (process.env.TEST_FIGURES) process.stdout.write(`${what}: ${JSON.stringify(figures)}\n`);
}

// Limits per client at their defaults throughout: CLIENT_ALLOCATIONS_PER_MINUTE=600, CLIENT_RESERVED_PLACES=50.
describe('the public allocation endpoint under abuse, with the limits per client at their defaults', () => {
  let manager: ManagerProcess | undefined;
  let stateDir: string;
  const players: ArrivedPlayer[] = [];

  beforeEach(async () => {
    stateDir = await newStateDir();
  });

  afterEach(async () => {
    await leave(players.splice(0));
    if (manager) await killManager(manager, 'SIGTERM');
    manager = undefined;
    await destroyFleet(stateDir);
  });

  /** Starts the manager (killed after the test even if it never gets ready) and waits for its servers. */
  async function start(env: Record<string, string>, servers: number): Promise<ManagerProcess> {
    const started = (manager = await spawnManager({ ...TEST_ENV, ADMIN_TOKEN: TOKEN, LOCAL_STATE_DIR: stateDir, ...env }));
    await waitFor(`${servers} ready servers`, async () => {
      const list = await getJson<{ server_list: string[] }>(`${started.url}/available-gameserver-list/`).catch(() => undefined);
      return list?.body.server_list.length === servers;
    });
    return started;
  }

  it('a script asking 2,000 times a second from one address holds 50 places at most and gets 429; 50 real players at other addresses all get places; the fleet does not grow', async () => {
    // 120 places: the 50 players, the 50 the script may hold, and UPSCALE_MARGIN's 4, with room to
    // spare. Without CLIENT_RESERVED_PLACES the script would hold every place it asked for in the
    // minute (600) and the fleet would grow for it.
    manager = await start({ SERVER_CAPACITY: '20', MIN_SERVERS: '6', UPSCALE_MARGIN: '4', DOWNSCALE_MARGIN: '200', LOG_LEVEL: 'warn' }, 6);
    const watching = watch(manager);
    const attack = flood(`${manager.url}/available-gameserver/`, '127.0.0.66', 2_000, 10);

    // The players come once the script is cut off for the minute, so that none of them takes a
    // place on a server before the script has had all it may have: a report that shows players
    // arriving releases the oldest places on that server, whoever they were handed to.
    await waitFor('the script cut off for the minute', async () => ((await metricOf(manager as ManagerProcess, 'fleet_manager_allocations_total{outcome="limited",limit="allocations_per_minute"}')) ?? 0) > 0);
    const arrivals: Promise<{ status: number; player?: ArrivedPlayer }>[] = [];
    for (let i = 1; i <= 50; i++) {
      arrivals.push(playerAt(manager, `127.0.1.${i}`));
      await sleep(100);
    }
    const arrived = await Promise.all(arrivals);
    players.push(...arrived.flatMap(({ player }) => (player ? [player] : [])));
    const script = await attack;
    await watching.stop();

    const figures = {
      sent: script.sent,
      scriptAnswers: script.byStatus,
      placesHeldByScriptAtMost: watching.seen.mostHeldShare * 50,
      fleetAtMost: watching.seen.mostServers,
      playersTurnedAway: arrived.filter(({ status }) => status !== 200).length,
    };
    record('2,000 requests a second from one address', figures);
    expect(figures.playersTurnedAway).toBe(0);
    expect(players).toHaveLength(50);
    expect(figures.fleetAtMost).toBe(6);
    expect(figures.placesHeldByScriptAtMost).toBeLessThanOrEqual(50);
    // Its first 50 requests got places; every other one that was answered got 429.
    expect(script.byStatus[200]).toBe(50);
    expect(script.byStatus[429]).toBe(script.sent - 50 - (script.byStatus[0] ?? 0));
    expect(script.byStatus[429]).toBeGreaterThan(1_000);
    // 550 for the places it held, the rest of its minute's 600, then every request for the limit per minute.
    expect(await metricOf(manager, 'fleet_manager_allocations_total{outcome="limited",limit="reserved_places"}')).toBe(550);
    expect(await metricOf(manager, 'fleet_manager_allocations_total{outcome="limited",limit="allocations_per_minute"}')).toBe(script.byStatus[429] - 550);
    // Thousands of refusals, one warning: an attack does not flood the log.
    expect(manager.output().split('\n').filter((line) => line.includes('client 127.0.0.66 reached'))).toHaveLength(1);
  });

  it('200 players behind one address (a carrier\'s NAT), arriving over a minute, all get places', async () => {
    manager = await start({ SERVER_CAPACITY: '50', MIN_SERVERS: '5', UPSCALE_MARGIN: '4', DOWNSCALE_MARGIN: '300' }, 5);
    const watching = watch(manager);
    const arrivals: Promise<{ status: number; player?: ArrivedPlayer }>[] = [];
    for (let i = 0; i < 200; i++) {
      arrivals.push(playerAt(manager, '127.0.0.77'));
      await sleep(300);
    }
    const arrived = await Promise.all(arrivals);
    players.push(...arrived.flatMap(({ player }) => (player ? [player] : [])));
    await watching.stop();

    const statuses: Record<number, number> = {};
    for (const { status } of arrived) statuses[status] = (statuses[status] ?? 0) + 1;
    record('200 players behind one address over a minute', { statuses, placesHeldAtMost: watching.seen.mostHeldShare * 50 });
    expect(statuses).toEqual({ 200: 200 });
    expect(players).toHaveLength(200);
  }, 120_000);
});
