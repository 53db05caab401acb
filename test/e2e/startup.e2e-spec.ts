import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { destroyFleet, getJson, isAlive, newStateDir, recordedServers, waitFor } from '../support/manager';
import { EARLIER_DOTENV } from '../support/earlier-dotenv';
import { killManager, ManagerProcess, runManagerToExit, spawnManager } from '../support/manager-process';

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
