import {
  paginateDescribeInstances,
  EC2Client,
  Instance,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { inParallel } from '../../concurrency/in-parallel';
import { chunks, DESCRIBE_CONCURRENCY } from './aws-batching';
import { CLUSTER_TAG, FLEET_TAG, SERVER_ID_TAG } from './ecs-tags';

export interface InstanceAddresses {
  readonly publicIp?: string;
  readonly privateIp?: string;
  /**
   * Launched by a manager for this fleet (tagged with this cluster, and with this fleet or, for an
   * earlier manager's, with none): the manager may terminate it once its task is gone. Instances
   * of other fleets, of an Auto Scaling group or a capacity provider are never its to terminate.
   */
  readonly ours?: boolean;
}

/** DescribeInstances takes at most this many ids per call. */
const DESCRIBE_INSTANCES_BATCH = 1000;

/** An instance this fleet launched, as its tags and EC2 tell. */
export interface FleetInstance {
  readonly instanceId: string;
  /** The server it was launched for (its tag). */
  readonly serverId: string;
  readonly launchedAt: number;
}

/** The EC2 side of the EC2 launch type: one instance per game server, launched from the template. */
export class Ec2Instances {
  constructor(
    private readonly ec2: EC2Client,
    private readonly cluster: string,
    private readonly fleet: string,
    private readonly launchTemplate: string,
  ) {}

  /**
   * Launches the instance of one server. The server id is the client token, so a call asked again
   * for the same server (after an answer that was lost) returns the same instance, not a second one
   * (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html).
   */
  async run(serverId: string): Promise<string> {
    const answer = await this.ec2.send(
      new RunInstancesCommand({
        LaunchTemplate: { LaunchTemplateName: this.launchTemplate },
        MinCount: 1,
        MaxCount: 1,
        ClientToken: serverId,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: SERVER_ID_TAG, Value: serverId },
              { Key: CLUSTER_TAG, Value: this.cluster },
              { Key: FLEET_TAG, Value: this.fleet },
            ],
          },
        ],
      }),
    );
    const instanceId = answer.Instances?.[0]?.InstanceId;
    if (!instanceId) throw new Error('RunInstances returned no instance');
    return instanceId;
  }

  async addresses(instanceIds: readonly string[]): Promise<Map<string, InstanceAddresses>> {
    const found = new Map<string, InstanceAddresses>();
    await inParallel(chunks([...new Set(instanceIds)], DESCRIBE_INSTANCES_BATCH), DESCRIBE_CONCURRENCY, async (batch) => {
      // No page size: EC2 refuses MaxResults together with InstanceIds.
      for await (const answer of paginateDescribeInstances({ client: this.ec2 }, { InstanceIds: batch })) {
        for (const instance of instancesOf(answer.Reservations)) {
          const tag = (key: string) => instance.Tags?.find((t) => t.Key === key)?.Value;
          const ours = tag(CLUSTER_TAG) === this.cluster && (tag(FLEET_TAG) ?? this.fleet) === this.fleet;
          found.set(instance.InstanceId as string, { publicIp: instance.PublicIpAddress, privateIp: instance.PrivateIpAddress, ours });
        }
      }
    });
    return found;
  }

  /** Every live instance this fleet launched in this cluster: tagged with both. */
  async ofFleet(): Promise<FleetInstance[]> {
    const found: FleetInstance[] = [];
    const pages = paginateDescribeInstances(
      { client: this.ec2, pageSize: DESCRIBE_INSTANCES_BATCH },
      {
        Filters: [
          { Name: `tag:${CLUSTER_TAG}`, Values: [this.cluster] },
          { Name: `tag:${FLEET_TAG}`, Values: [this.fleet] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      },
    );
    for await (const answer of pages) {
      for (const instance of instancesOf(answer.Reservations)) {
        found.push({
          instanceId: instance.InstanceId as string,
          serverId: instance.Tags?.find((tag) => tag.Key === SERVER_ID_TAG)?.Value ?? '',
          launchedAt: instance.LaunchTime?.getTime() ?? 0,
        });
      }
    }
    return found;
  }

  async terminate(instanceIds: readonly string[]): Promise<void> {
    for (const batch of chunks(instanceIds, DESCRIBE_INSTANCES_BATCH)) {
      try {
        await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: batch }));
      } catch (error) {
        if ((error as Error).name !== 'InvalidInstanceID.NotFound') throw error;
      }
    }
  }
}

function instancesOf(reservations: { Instances?: Instance[] }[] | undefined): Instance[] {
  return (reservations ?? []).flatMap((reservation) => reservation.Instances ?? []).filter((i) => i.InstanceId);
}
