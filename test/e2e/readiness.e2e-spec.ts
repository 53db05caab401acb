import { FakeAws } from '../support/fake-aws/fake-aws';
import { ECS_ENV } from '../support/ecs';
import { getJson, HttpAnswer, RunningManager, startManager, waitFor } from '../support/manager';

/** Terminus's body: the indicators that are up under `info`, the ones that are down under `error`. */
interface Readiness {
  status: 'ok' | 'error';
  info?: Record<string, { status: 'up' | 'down'; [detail: string]: unknown }>;
  error?: Record<string, { status: 'up' | 'down'; message?: string; [detail: string]: unknown }>;
}

/**
 * One try per AWS call: a fault the test injects is then one failed call of the manager, not
 * something the SDK's retries absorb; no fleet to launch, so that only readiness is at stake.
 */
const ENV = { ...ECS_ENV, AWS_MAX_ATTEMPTS: '1', MIN_SERVERS: '0', UPSCALE_MARGIN: '0' };
/** PLATFORM_CHECK_CACHE_MS (10 s) in fleet-health.indicator.ts, and some room: readiness may answer from a ping that old. */
const PLATFORM_CACHE_ROOM_MS = 15_000;

describe('readiness (GET /health/ready) on ECS', () => {
  let fake: FakeAws;
  let manager: RunningManager | undefined;

  beforeEach(() => {
    fake = FakeAws.install();
  });

  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    await fake.close();
  });

  const readiness = () => getJson<Readiness>(`${manager!.url}/health/ready`);
  /** Waits for an answer that passes `check`; on a timeout the last answer is in the error, to say what readiness said instead. */
  const readinessWhen = (what: string, check: (answer: HttpAnswer<Readiness>) => boolean, timeoutMs?: number) =>
    waitFor(
      what,
      async () => {
        const answer = await readiness();
        if (check(answer)) return answer;
        throw new Error(`HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
      },
      timeoutMs,
    );

  it('is 503 while ListTasks fails and the fleet cannot be rebuilt, naming the fleet and the role; 200 once it is rebuilt', async () => {
    // Discovery retries after 1 s, then 2 s: the third ListTasks (about 3 s in) succeeds.
    fake.failNext('ListTasks', 2, 'server');
    manager = await startManager(ENV);

    const notRebuilt = (answer: HttpAnswer<Readiness>) => {
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({
        error: {
          fleet: { status: 'down', message: 'the fleet is not rebuilt from the ecs platform yet' },
          role: { status: 'down', role: 'leader', message: expect.stringContaining('rebuilds the fleet') },
        },
        // The platform itself answers: the 503 is the rebuild's alone.
        info: { platform: { status: 'up' } },
      });
    };
    notRebuilt(await readiness());
    // Still unready after a retry failed too: nothing but a rebuilt fleet makes it ready.
    await waitFor('discovery to be retried', () => fake.calls('ListTasks').length >= 2);
    notRebuilt(await readiness());

    const ready = await readinessWhen('readiness once the fleet is rebuilt', (answer) => answer.status === 200, 10_000);
    expect(fake.calls('ListTasks')).toHaveLength(3);
    expect(ready.body.info?.fleet).toMatchObject({ status: 'up', servers: 0 });
    expect(ready.body.info?.role).toMatchObject({ status: 'up', role: 'leader' });
  });

  it('is 503 naming the platform when ECS stops answering DescribeClusters, and 200 again once it answers', async () => {
    manager = await startManager(ENV);
    await readinessWhen('readiness', (answer) => answer.status === 200);
    const pingsBefore = fake.calls('DescribeClusters').length;

    fake.failNext('DescribeClusters', 1, 'server');
    // Only once the cached good answer has expired is ECS asked again, and fails.
    const unready = await readinessWhen('readiness to fail on the failed ping', (answer) => answer.status === 503, PLATFORM_CACHE_ROOM_MS);
    expect(unready.body).toMatchObject({ error: { platform: { status: 'down', message: expect.any(String) } }, info: { fleet: { status: 'up' }, role: { status: 'up' } } });
    expect(Object.keys(unready.body.error ?? {})).toEqual(['platform']);
    expect(fake.calls('DescribeClusters')).toHaveLength(pingsBefore + 1);

    // The failure is cached as long as a success: ECS is asked again 10 s later, and answers.
    const ready = await readinessWhen('readiness once ECS answers again', (answer) => answer.status === 200, PLATFORM_CACHE_ROOM_MS);
    expect(ready.body.info?.platform).toMatchObject({ status: 'up', name: 'ecs' });
    expect(fake.calls('DescribeClusters')).toHaveLength(pingsBefore + 2);
  });
});
