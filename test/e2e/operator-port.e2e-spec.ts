import { freeLoopbackPort } from '../../src/platform/local/local-process';
import { destroyFleet, getJson, newStateDir, startManager, TEST_ENV, waitFor } from '../support/manager';
import { killManager, ManagerProcess, spawnManager } from '../support/manager-process';

const TOKEN = 'operator-port-test-token-0123456789';
const admin = { authorization: `Bearer ${TOKEN}` };

const statusOf = async (url: string, headers: Record<string, string> = {}) => (await getJson(url, headers)).status;

describe('OPERATOR_PORT takes the operator\'s endpoints off the public port', () => {
  let manager: ManagerProcess | undefined;
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await newStateDir();
  });

  afterEach(async () => {
    if (manager) await killManager(manager, 'SIGTERM');
    manager = undefined;
    await destroyFleet(stateDir);
  });

  async function start(env: Record<string, string>): Promise<ManagerProcess> {
    const started = (manager = await spawnManager({ ...TEST_ENV, ADMIN_TOKEN: TOKEN, LOCAL_STATE_DIR: stateDir, ...env }));
    await waitFor('the manager answers', async () => (await getJson(`${started.url}/health`).catch(() => undefined))?.status === 200);
    return started;
  }

  it('PORT serves the game clients and /health alone; OPERATOR_PORT serves the rest and not the game clients', async () => {
    const operatorPort = await freeLoopbackPort();
    const { url } = await start({ OPERATOR_PORT: String(operatorPort) });
    const operator = `http://127.0.0.1:${operatorPort}`;
    await waitFor('one ready server', async () => (await getJson<{ server_list: string[] }>(`${url}/available-gameserver-list/`)).body.server_list.length === 1);

    const onPublic = {
      allocation: await statusOf(`${url}/available-gameserver/`),
      list: await statusOf(`${url}/available-gameserver-list`),
      live: await statusOf(`${url}/health`),
      ready: await statusOf(`${url}/health/ready`),
      metrics: await statusOf(`${url}/metrics`),
      docs: await statusOf(`${url}/docs/json`),
      fleet: await statusOf(`${url}/fleet`, admin),
    };
    expect(onPublic).toEqual({ allocation: 200, list: 200, live: 200, ready: 200, metrics: 404, docs: 404, fleet: 404 });
    const refused = await getJson(`${url}/metrics`);
    expect(refused.body).toEqual({ message: 'Not Found', statusCode: 404 });
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');

    const onOperator = {
      allocation: await statusOf(`${operator}/available-gameserver/`),
      live: await statusOf(`${operator}/health`),
      metrics: await statusOf(`${operator}/metrics`),
      docs: await statusOf(`${operator}/docs/json`),
      fleet: await statusOf(`${operator}/fleet`, admin),
      fleetWithoutToken: await statusOf(`${operator}/fleet`),
    };
    expect(onOperator).toEqual({ allocation: 404, live: 200, metrics: 200, docs: 200, fleet: 200, fleetWithoutToken: 401 });
  });

  it('OPERATOR_HOST binds it to one address: 127.0.0.2 answers, 127.0.0.1 does not', async () => {
    const operatorPort = await freeLoopbackPort();
    await start({ OPERATOR_PORT: String(operatorPort), OPERATOR_HOST: '127.0.0.2' });
    expect(await statusOf(`http://127.0.0.2:${operatorPort}/metrics`)).toBe(200);
    await expect(fetch(`http://127.0.0.1:${operatorPort}/metrics`)).rejects.toThrow();
  });

  it('without OPERATOR_PORT everything stays on PORT, as before', async () => {
    const { url } = await start({});
    expect(await statusOf(`${url}/metrics`)).toBe(200);
    expect(await statusOf(`${url}/fleet`, admin)).toBe(200);
  });

  it('closing the manager closes the operator port too', async () => {
    const operatorPort = await freeLoopbackPort();
    const inProcess = await startManager({ ADMIN_TOKEN: TOKEN, LOCAL_STATE_DIR: stateDir, OPERATOR_PORT: String(operatorPort) });
    try {
      expect(await statusOf(`http://127.0.0.1:${operatorPort}/metrics`)).toBe(200);
    } finally {
      await inProcess.close();
    }
    await expect(fetch(`http://127.0.0.1:${operatorPort}/metrics`)).rejects.toThrow();
  });
});
