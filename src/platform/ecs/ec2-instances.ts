import {
  DescribeInstancesCommand,
  EC2Client,
  Instance,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { chunks, DESCRIBE_CONCURRENCY, inParallel } from './aws-batching';
import { CLUSTER_TAG, SERVER_ID_TAG } from './ecs-tags';

export interface InstanceAddresses {
  readonly publicIp?: string;
  readonly privateIp?: string;
}

/** DescribeInstances takes at most this many ids per call. */
const DESCRIBE_INSTANCES_BATCH = 1000;

/** The EC2 side of the EC2 launch type: one instance per game server, launched from the template. */
export class Ec2Instances {
  constructor(
    private readonly ec2: EC2Client,
    private readonly cluster: string,
    private readonly launchTemplate: string,
  ) {}

  async run(serverId: string): Promise<string> {
    const answer = await this.ec2.send(
      new RunInstancesCommand({
        LaunchTemplate: { LaunchTemplateName: this.launchTemplate },
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: SERVER_ID_TAG, Value: serverId },
              { Key: CLUSTER_TAG, Value: this.cluster },
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
      let nextToken: string | undefined;
      do {
        const answer = await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: batch, NextToken: nextToken }));
        for (const instance of instancesOf(answer.Reservations)) {
          found.set(instance.InstanceId as string, { publicIp: instance.PublicIpAddress, privateIp: instance.PrivateIpAddress });
        }
        nextToken = answer.NextToken;
      } while (nextToken);
    });
    return found;
  }

  /** Every live instance the manager launched for this cluster, with the server id it was launched for. */
  async launchedByManager(): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    let nextToken: string | undefined;
    do {
      const answer = await this.ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: `tag:${CLUSTER_TAG}`, Values: [this.cluster] },
            { Name: 'instance-state-name', Values: ['pending', 'running'] },
          ],
          MaxResults: DESCRIBE_INSTANCES_BATCH,
          NextToken: nextToken,
        }),
      );
      for (const instance of instancesOf(answer.Reservations)) {
        const serverId = instance.Tags?.find((tag) => tag.Key === SERVER_ID_TAG)?.Value ?? '';
        found.set(instance.InstanceId as string, serverId);
      }
      nextToken = answer.NextToken;
    } while (nextToken);
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
