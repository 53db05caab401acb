import { destroyFleet, RunningManager } from './manager';
import { ArrivedPlayer, leave } from './players';

/** After a test: its players leave, its manager stops, and every game server it started ends. */
export async function endScenario(manager: RunningManager | undefined, players: ArrivedPlayer[]): Promise<void> {
  await leave(players.splice(0));
  await manager?.close();
  if (manager) await destroyFleet(manager.stateDir);
}
