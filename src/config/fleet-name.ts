import { Settings } from './settings';

/** The family of a task definition given as `family`, `family:revision` or an ARN. */
export function taskFamily(taskDefinition: string): string {
  return taskDefinition.replace(/^arn:[^/]+\//, '').replace(/:\d+$/, '');
}

/**
 * The fleet's name on ECS: FLEET_NAME, or the game server's task family. It tags what the manager
 * launches and keys its leader lease, so that fleets sharing a cluster or a lease table stay apart.
 */
export function fleetNameOf(settings: Settings): string {
  return settings.FLEET_NAME ?? taskFamily(settings.SERVER_TASK_DEFINITION ?? '');
}
