import type { ContainerDefinition, Task, TaskDefinition } from '@aws-sdk/client-ecs';

/** Which container and port of the task definition the game server is: ECS_CONTAINER_NAME and ECS_CONTAINER_PORT. */
export interface GameContainerChoice {
  readonly containerName?: string;
  readonly containerPort?: number;
}

/** The game server's port on the task's address, or why it cannot be told (yet). */
export type GamePort = { readonly port: number } | { readonly unresolved: string };

/**
 * The port game clients and probes reach a task's game server on, as ECS reports it. By the
 * network mode of its task definition:
 * - awsvpc (every Fargate task): the task has its own address, and listens there on the
 *   container port. ECS reports no `networkBindings` in this mode
 *   (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Container.html), so the port
 *   comes from the task definition. On an EC2 container instance it is not supported: unresolved.
 * - bridge and host: the host port that the game container's `networkBindings` map its container
 *   port to, on the instance's address. Only the game container's bindings count: a sidecar's
 *   port is not the game server.
 * The game container is the one named ECS_CONTAINER_NAME, else the first one that maps a port;
 * its port is ECS_CONTAINER_PORT, else its first mapped port.
 */
export function gamePortOf(task: Task, definition: TaskDefinition, choice: GameContainerChoice): GamePort {
  const containers = definition.containerDefinitions ?? [];
  const container = choice.containerName
    ? containers.find((c) => c.name === choice.containerName)
    : (containers.find((c) => c.essential !== false && hasPorts(c)) ?? containers.find(hasPorts));
  const where = `task definition ${definition.taskDefinitionArn ?? definition.family}`;
  if (!container) return { unresolved: choice.containerName ? `no container ${choice.containerName} in ${where}` : `no container maps a port in ${where}` };
  const mapped = (container.portMappings ?? []).map((m) => m.containerPort).filter((p): p is number => p !== undefined);
  const containerPort = choice.containerPort ?? mapped[0];

  if (definition.networkMode === 'awsvpc') {
    // Such a task listens on an interface of its own, not at its instance's address: probed there it would fail, and be stopped.
    if (task.containerInstanceArn) return { unresolved: `awsvpc networking on an EC2 container instance is not supported (${where}); use bridge or host, or Fargate` };
    return containerPort === undefined ? { unresolved: `container ${container.name} maps no port in ${where}; set ECS_CONTAINER_PORT` } : { port: containerPort };
  }
  if (definition.networkMode === 'none') return { unresolved: `${where} has no network (networkMode none)` };
  if (containerPort === undefined) return { unresolved: `container ${container.name} maps no port in ${where}` };
  const bindings = task.containers?.find((c) => c.name === container.name)?.networkBindings ?? [];
  const binding = bindings.find((b) => b.containerPort === containerPort && b.hostPort !== undefined);
  return binding?.hostPort !== undefined
    ? { port: binding.hostPort }
    : { unresolved: `container ${container.name} of task ${task.taskArn} reports no host port for ${containerPort} yet` };
}

function hasPorts(container: ContainerDefinition): boolean {
  return (container.portMappings ?? []).some((m) => m.containerPort !== undefined);
}
