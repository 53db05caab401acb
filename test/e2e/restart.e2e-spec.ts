import { setTimeout as sleep } from 'node:timers/promises';
import {
  acceptingServers,
  destroyFleet,
  getJson,
  isAlive,
  newStateDir,
  recordedServers,
  RunningManager,
  startManager,
  TEST_ENV,
  waitFor,
} from '../support/manager';
import { killManager, ManagerProcess, spawnManager } from '../support/manager-process';
import { ArrivedPlayer, arrive, arriveAskingAgain, leave } from '../support/players';

describe('a manager that restarts finds its fleet again', () => {
  let players: ArrivedPlayer[] = [];
  let stateDir: string;
  const running: RunningManager[] = [];
  const processes: ManagerProcess[] = [];

  beforeEach(async () => {
    stateDir = await newStateDir();
  });

  afterEach(async () => {
    await leave(players);
    players = [];
    for (const manager of running.splice(0)) await manager.close();
    for (const manager of processes.splice(0)) await killManager(manager, 'SIGKILL');
    await destroyFleet(stateDir);
  });

  const allOpen = () => players.every((p) => p.socket.readyState === p.socket.OPEN);

  it('after a clean stop: the same servers, the draining one still draining, the players still connected, nothing launched', async () => {
    const first = await startManager({}, stateDir);
    running.push(first);
    await waitFor('one ready server', async () => (await acceptingServers(first)).length === 1);
    const arrived: ArrivedPlayer[] = [];
    for (let i = 0; i < 22; i++) {
      arrived.push(await arriveAskingAgain(first, `a place for player ${i + 1}`));
      await sleep(150);
    }
    await waitFor('three servers', async () => (await recordedServers(stateDir)).length >= 3);

    // One player stays on each server: 9 free places each, over the downscale margin, so servers drain.
    const oneEach = new Map(arrived.map((p) => [p.address, p]));
    players = [...oneEach.values()];
    await leave(arrived.filter((p) => !players.includes(p)));
    const before = await waitFor('a draining server that still holds its player', async () => {
      const servers = await recordedServers(stateDir);
      return servers.some((s) => s.draining) && servers;
    });
    await sleep(1000);
    const settled = await recordedServers(stateDir);
    expect(settled).toEqual(before);
    const acceptingBefore = (await acceptingServers(first)).sort();

    await first.close();
    running.splice(0);
    expect(settled.every((s) => isAlive(s.pid))).toBe(true);
    expect(allOpen()).toBe(true);

    const second = await startManager({}, stateDir);
    running.push(second);
    await waitFor('readiness', async () => (await getJson(`${second.url}/health/ready`)).status === 200);
    await sleep(2000);

    expect(await recordedServers(stateDir)).toEqual(settled);
    expect((await acceptingServers(second)).sort()).toEqual(acceptingBefore);
    const draining = settled.filter((s) => s.draining).map((s) => `127.0.0.1:${s.port}`);
    for (const address of draining) expect(await acceptingServers(second)).not.toContain(address);
    expect(allOpen()).toBe(true);
  });

  it('after SIGKILL of the manager process: the game servers keep their players and the next manager adopts them', async () => {
    const env = { ...TEST_ENV, LOCAL_STATE_DIR: stateDir };
    const first = await spawnManager(env);
    processes.push(first);
    await waitFor('one ready server', async () => {
      const list = await getJson(`${first.url}/available-gameserver-list/`);
      return list.body.server_list?.length === 1;
    });
    for (let i = 0; i < 3; i++) players.push(await arrive({ url: first.url } as RunningManager));
    const before = await recordedServers(stateDir);

    await killManager(first, 'SIGKILL');
    await sleep(500);
    expect(before.every((s) => isAlive(s.pid))).toBe(true);
    expect(allOpen()).toBe(true);

    const second = await spawnManager(env);
    processes.push(second);
    await waitFor('readiness', async () => (await getJson(`${second.url}/health/ready`)).status === 200);
    await sleep(1500);

    expect(await recordedServers(stateDir)).toEqual(before);
    expect((await getJson(`${second.url}/available-gameserver-list/`)).body.server_list).toEqual([`127.0.0.1:${before[0].port}`]);
    expect(allOpen()).toBe(true);
    // The adopted server's report shows the three players, so the next one joins the same server.
    expect((await getJson(`${second.url}/available-gameserver/`)).body.available).toBe(`127.0.0.1:${before[0].port}`);
  });
});
