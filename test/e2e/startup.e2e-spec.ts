import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { destroyFleet, getJson, isAlive, newStateDir, recordedServers, waitFor } from '../support/manager';
import { EARLIER_DOTENV } from '../support/earlier-dotenv';
import { killManager, ManagerProcess, runManagerToExit, spawnManager } from '../support/manager-process';
import { freeLoopbackPort } from '../../src/platform/local/local-process';

const TOKEN = 'startup-test-admin-token-0123';

describe('the manager process', () => {
  let dir: string;
  let manager: ManagerProcess | undefined;

  beforeEach(async () => {
    dir = await newStateDir();
  });

  afterEach(async () => {
    if (manager) await killManager(manager, 'SIGKILL');
    manager = undefined;
    await destroyFleet(join(dir, '.fleet-state'));
    await destroyFleet(dir);
  });

  it.each([
    ['UPSCALE_MARGIN', 'four', 'must be a whole number >= 0'],
    ['PLATFORM', 'kubernetes', 'must be one of: local, ecs'],
    ['SLEEP_TIME', '-2', 'must be a number of seconds >= 0'],
    ['BACKUP_GAMESERVER', 'localhost', 'must be an address of the form host:port'],
  ])('refuses %s=%s at start-up with one line naming it, and exits 1', async (name, value, allowed) => {
    const { code, stderr } = await runManagerToExit({ [name]: value, LOCAL_STATE_DIR: dir });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([`Invalid setting ${name}=${JSON.stringify(value)}: ${allowed}`]);
  });

  it('refuses margins that would make the fleet flap', async () => {
    const { code, stderr } = await runManagerToExit({ UPSCALE_MARGIN: '4', DOWNSCALE_MARGIN: '14', LOCAL_STATE_DIR: dir });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Invalid settings: DOWNSCALE_MARGIN=14 must exceed UPSCALE_MARGIN=4 by more than SERVER_CAPACITY=10/)]);
  });

  /** The margins the manager runs with, as its operator API shows them (ADMIN_TOKEN must be set, by either source). */
  const marginsOf = async (url: string) => {
    const answer = await getJson<{ margins?: Record<string, number> }>(`${url}/fleet`, { authorization: `Bearer ${TOKEN}` });
    return { status: answer.status, margins: answer.body.margins };
  };

  it('the environment wins over .env: PORT and SERVER_CAPACITY set in both are taken from the environment', async () => {
    const dotenvPort = await freeLoopbackPort();
    await writeFile(join(dir, '.env'), `PORT=${dotenvPort}\nSERVER_CAPACITY=7\n`);
    // No fleet: only the settings are at stake. spawnManager sets PORT in the environment.
    manager = await spawnManager({ SERVER_CAPACITY: '12', ADMIN_TOKEN: TOKEN, MIN_SERVERS: '0', UPSCALE_MARGIN: '0' }, dir);
    const answers = (url: string) => fetch(`${url}/health`).then((r) => r.ok, () => false);
    // Whichever port it took, so that a manager on the wrong one fails here, not as a time-out.
    const listening = await waitFor('the manager to listen on either port', async () => {
      if (await answers(manager!.url)) return 'the environment';
      if (await answers(`http://127.0.0.1:${dotenvPort}`)) return '.env';
      return undefined;
    });
    expect(listening).toBe('the environment');
    expect(await answers(`http://127.0.0.1:${dotenvPort}`)).toBe(false);
    expect(await marginsOf(manager.url)).toEqual({ status: 200, margins: expect.objectContaining({ serverCapacity: 12 }) });
  });

  it('a setting in .env is used where the environment does not set it', async () => {
    await writeFile(join(dir, '.env'), `ADMIN_TOKEN=${TOKEN}\nSERVER_CAPACITY=7\nMIN_SERVERS=0\nUPSCALE_MARGIN=0\n`);
    manager = await spawnManager({}, dir);
    await waitFor('the manager to answer', async () => (await getJson(`${manager!.url}/health`)).status === 200);
    expect(await marginsOf(manager.url)).toEqual({ status: 200, margins: expect.objectContaining({ serverCapacity: 7, minServers: 0, upscaleMargin: 0 }) });
  });

  it("starts unchanged from the earlier manager's .env, serves a local fleet, and leaves it running on SIGTERM", async () => {
    await writeFile(join(dir, '.env'), EARLIER_DOTENV);
    manager = await spawnManager({}, dir);
    const ready = await waitFor('readiness and one server', async () => {
      const list = await getJson(`${manager!.url}/available-gameserver-list/`);
      return list.body.server_list?.length === 1 && list.body.server_list;
    });
    expect((await getJson(`${manager.url}/available-gameserver/`)).body).toEqual({ available: ready[0] });
    const [server] = await recordedServers(join(dir, '.fleet-state'));

    manager.child.kill('SIGTERM');
    await once(manager.child, 'exit');
    expect(isAlive(server.pid)).toBe(true);
    expect((await getJson(`http://${ready[0]}/health/`)).status).toBe(200);
  });
});
