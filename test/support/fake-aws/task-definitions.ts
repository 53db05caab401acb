import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { clientException } from './aws-errors';
import { EcsArns, parseTaskDefinition, TaskDefinitionRef } from './aws-names';

/**
 * A task definition as the fake knows it. ECS documents that `networkBindings` are reported only
 * for the bridge and host network modes: an awsvpc task (every Fargate task) listens on its own
 * network interface at the container port, and its containers report no bindings at all.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Container.html (networkBindings)
 */
export interface FakeTaskDefinition {
  readonly family: string;
  /** Default 1. A family may have several revisions; a bare family means its latest. */
  readonly revision?: number;
  readonly networkMode: 'bridge' | 'awsvpc';
  /** Every container with its port, if it maps one; sidecars too. */
  readonly containers: readonly FakeContainer[];
  /** The container the game server process stands for. Default: the first one. */
  readonly gameContainer?: string;
}

export interface FakeContainer {
  readonly name: string;
  /** The port it listens on: in the game container, the game server's. */
  readonly containerPort?: number;
  /** Ports it maps besides, listed before `containerPort` (an admin or metrics port); nothing listens on them. */
  readonly otherPorts?: readonly number[];
}

/** Every port a container maps, in the order its portMappings list them. */
export function mappedPorts(container: FakeContainer): number[] {
  return [...(container.otherPorts ?? []), ...(container.containerPort === undefined ? [] : [container.containerPort])];
}

export interface ResolvedTaskDefinition {
  readonly ref: TaskDefinitionRef;
  readonly networkMode: 'bridge' | 'awsvpc';
  readonly containers: readonly FakeContainer[];
  readonly gameContainer: string;
}

/** The task definitions of the fake's account: looked up as ECS does, by family, family:revision or ARN. */
export class TaskDefinitions {
  private readonly byFamily = new Map<string, ResolvedTaskDefinition[]>();

  constructor(definitions: readonly FakeTaskDefinition[]) {
    for (const definition of definitions) this.register(definition);
  }

  /** A new definition, or a new revision of a family, as RegisterTaskDefinition adds one. */
  register(definition: FakeTaskDefinition): void {
    {
      const resolved: ResolvedTaskDefinition = {
        ref: { family: definition.family, revision: definition.revision ?? 1 },
        networkMode: definition.networkMode,
        containers: definition.containers,
        gameContainer: definition.gameContainer ?? definition.containers[0].name,
      };
      const revisions = this.byFamily.get(definition.family) ?? [];
      revisions.push(resolved);
      revisions.sort((a, b) => a.ref.revision - b.ref.revision);
      this.byFamily.set(definition.family, revisions);
    }
  }

  /** The definition a StartTask, RunTask or DescribeTaskDefinition names; ClientException if there is none, as ECS answers. */
  find(taskDefinition: string | undefined): ResolvedTaskDefinition {
    let ref: { family: string; revision?: number };
    try {
      const parsed = parseTaskDefinition(taskDefinition ?? '');
      ref = /:\d+$/.test(taskDefinition ?? '') ? parsed : { family: parsed.family };
    } catch {
      throw clientException('Unable to describe task definition.');
    }
    const revisions = this.byFamily.get(ref.family) ?? [];
    const found = ref.revision === undefined ? revisions.at(-1) : revisions.find((d) => d.ref.revision === ref.revision);
    if (!found) throw clientException('Unable to describe task definition.');
    return found;
  }

  view(definition: ResolvedTaskDefinition, arns: EcsArns): TaskDefinition {
    const awsvpc = definition.networkMode === 'awsvpc';
    return {
      taskDefinitionArn: arns.taskDefinition(definition.ref),
      family: definition.ref.family,
      revision: definition.ref.revision,
      status: 'ACTIVE',
      networkMode: definition.networkMode,
      requiresCompatibilities: awsvpc ? ['EC2', 'FARGATE'] : ['EC2'],
      containerDefinitions: definition.containers.map((container) => ({
        name: container.name,
        essential: container.name === definition.gameContainer,
        // In awsvpc mode the host port is the container port; in bridge mode 0 asks for a dynamic one.
        portMappings: mappedPorts(container).map((containerPort) => ({ containerPort, hostPort: awsvpc ? containerPort : 0, protocol: 'tcp' as const })),
      })),
    };
  }
}
