import { setTimeout as sleep } from 'node:timers/promises';
import { acceptingServers, metric, RunningManager, startManager, waitFor } from '../support/manager';
import { endScenario } from '../support/scenario';
import { ArrivedPlayer, arriveAskingAgain } from '../support/players';

const EFFECTIVE = 'fleet_manager_effective_upscale_margin';

describe('the adaptive margin (MARGIN_MODE=adaptive) against real game server processes', () => {
  let manager: RunningManager;
  const players: ArrivedPlayer[] = [];

  afterEach(() => endScenario(manager, players));

  it('grows above UPSCALE_MARGIN while players ramp up, from the boot times it measured, and falls back to it when they stop coming', async () => {
    manager = await startManager({ MARGIN_MODE: 'adaptive', SLEEP_TIME: '0.5' });
    await waitFor('one ready server', async () => (await acceptingServers(manager)).length === 1);
    expect(await metric(manager, EFFECTIVE)).toBe(4);

    // About 4 players a second for 10 s, each asking again on a 503 as a game client does.
    let largest = 0;
    for (let i = 0; i < 40; i++) {
      players.push(await arriveAskingAgain(manager, `a place for player ${i + 1}`));
      largest = Math.max(largest, (await metric(manager, EFFECTIVE)) ?? 0);
      await sleep(250);
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

    // Nobody arrives any more: once the ramp has left the horizon, the margin is the configured one again
    // (the room for noise of a smooth ramp is small).
    await waitFor('the margin back at UPSCALE_MARGIN', async () => (await metric(manager, EFFECTIVE)) === 4, 60_000);
  });
});
