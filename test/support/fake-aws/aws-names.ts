import { randomBytes, randomUUID } from 'node:crypto';

/** The tags the manager puts on what it launches (mirrors src/platform/ecs/ecs-tags.ts). */
export const SERVER_ID_TAG = 'fleet-manager:server-id';
export const DRAINING_TAG = 'fleet-manager:draining';
export const CLUSTER_TAG = 'fleet-manager:cluster';
export const FLEET_TAG = 'fleet-manager:fleet';
export const STARTED_BY = 'fleet-manager';

/** Where the fake's own helpers listen; the addresses it hands out are elsewhere in 127.0.0.0/8. */
export const LOOPBACK = '127.0.0.1';

/**
 * The blocks of 127.0.0.0/8 (all of it is loopback on Linux) the fake hands addresses out of, one
 * per kind, so that a test can tell an instance's private address from its public one, and both
 * from an ENI's: a manager that gives game clients the address it should probe (or the reverse)
 * is caught. Nothing else in the tests listens in these blocks.
 */
export const ADDRESS_BLOCKS = { instancePrivate: 1, instancePublic: 2, eniPrivate: 3, eniPublic: 4 } as const;

/** The `index`-th address of a block: 127.<block>.0.1, 127.<block>.0.2, ... */
export function addressIn(block: number, index: number): string {
  return `127.${block}.${Math.floor(index / 254)}.${1 + (index % 254)}`;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

export const newInstanceId = () => `i-${hex(9).slice(0, 17)}`;
export const newReservationId = () => `r-${hex(9).slice(0, 17)}`;
export const newEniId = () => `eni-${hex(9).slice(0, 17)}`;
export const newServerId = () => `gs-${hex(6)}`;
/** ECS task and container instance ids are 32 hex digits. */
export const newEcsId = () => hex(16);
export const newAttachmentId = () => randomUUID();

export const INSTANCE_ID = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/;
export const ENI_ID = /^eni-[0-9a-f]{8}([0-9a-f]{9})?$/;

export interface TaskDefinitionRef {
  readonly family: string;
  readonly revision: number;
}

/** `family`, `family:revision` or a task definition ARN; without a revision ECS takes the latest (here: 1). */
export function parseTaskDefinition(taskDefinition: string): TaskDefinitionRef {
  const match = /^(?:arn:aws[\w-]*:ecs:[^:]*:\d*:task-definition\/)?([A-Za-z0-9_-]{1,255})(?::(\d+))?$/.exec(taskDefinition);
  if (!match) throw new Error(`not a task definition: ${taskDefinition}`);
  return { family: match[1], revision: match[2] ? Number(match[2]) : 1 };
}

/** ECS ARNs in the long format, for one account and region. */
export class EcsArns {
  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  private arn(resource: string): string {
    return `arn:aws:ecs:${this.region}:${this.accountId}:${resource}`;
  }

  cluster(name: string): string {
    return this.arn(`cluster/${name}`);
  }

  task(cluster: string, taskId: string): string {
    return this.arn(`task/${cluster}/${taskId}`);
  }

  containerInstance(cluster: string, id: string): string {
    return this.arn(`container-instance/${cluster}/${id}`);
  }

  container(cluster: string, id: string): string {
    return this.arn(`container/${cluster}/${id}`);
  }

  taskDefinition({ family, revision }: TaskDefinitionRef): string {
    return this.arn(`task-definition/${family}:${revision}`);
  }

  /** The cluster name from a cluster name or ARN, as every ECS call accepts either. */
  clusterName(clusterOrArn: string): string {
    return clusterOrArn.replace(/^arn:aws[\w-]*:ecs:[^:]*:\d*:cluster\//, '');
  }
}

/**
 * A task or container instance given as a bare id or as an ARN (long format, or the old one
 * without the cluster): the id, and the cluster when the ARN names one.
 */
export function parseResourceRef(ref: string, resource: 'task' | 'container-instance'): { id: string; cluster?: string } | undefined {
  const arn = new RegExp(`^arn:aws[\\w-]*:ecs:[^:]*:\\d*:${resource}/(?:([^/]+)/)?([0-9a-f]{32})$`).exec(ref);
  if (arn) return { id: arn[2], cluster: arn[1] };
  return /^[0-9a-f]{32}$/.test(ref) ? { id: ref } : undefined;
}
