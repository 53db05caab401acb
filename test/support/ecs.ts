import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CLUSTER_TAG, FLEET_TAG, SERVER_ID_TAG } from './fake-aws/fake-aws';

/** The earlier manager's ECS settings, with launches checked every 50 ms instead of 5 s: what the ECS tests run the manager with. */
export const ECS_ENV = {
  PLATFORM: 'ecs',
  AWS_REGION: 'ap-south-1',
  SERVER_TASK_DEFINITION: 'LaunchGameserver',
  ECS_INSTANCE_LAUNCH_TEMPLATE: 'defaultECS',
  ECS_POLL_INTERVAL: '0.05',
  LAUNCH_BACKOFF_BASE: '0.2',
  LAUNCH_BACKOFF_MAX: '1',
};

/** An instance launched as a manager launches one (its tags), by a manager that then went away; answers its id. */
export async function launchInstanceAsManager(serverId: string, fleet = 'LaunchGameserver'): Promise<string> {
  const answer = await new EC2Client({ region: 'ap-south-1' }).send(
    new RunInstancesCommand({
      LaunchTemplate: { LaunchTemplateName: 'defaultECS' },
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: SERVER_ID_TAG, Value: serverId }, { Key: CLUSTER_TAG, Value: 'default' }, { Key: FLEET_TAG, Value: fleet }] }],
    }),
  );
  return answer.Instances![0].InstanceId!;
}
