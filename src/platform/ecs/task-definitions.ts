import { DescribeTaskDefinitionCommand, ECSClient, TaskDefinition } from '@aws-sdk/client-ecs';
import { inParallel } from '../../concurrency/in-parallel';
import { DESCRIBE_CONCURRENCY } from './aws-batching';

/**
 * Task definitions by ARN. A revision never changes once registered, so each is asked for once
 * per manager (one DescribeTaskDefinition per revision in use); a failed call is asked again.
 */
export class EcsTaskDefinitions {
  private readonly known = new Map<string, Promise<TaskDefinition>>();

  constructor(private readonly ecs: ECSClient) {}

  get(taskDefinitionArn: string): Promise<TaskDefinition> {
    let found = this.known.get(taskDefinitionArn);
    if (!found) {
      found = this.describe(taskDefinitionArn);
      this.known.set(taskDefinitionArn, found);
      found.catch(() => this.known.delete(taskDefinitionArn));
    }
    return found;
  }

  /** Each definition, or the error that kept it from being read. */
  async all(taskDefinitionArns: readonly string[]): Promise<Map<string, TaskDefinition | Error>> {
    const arns = [...new Set(taskDefinitionArns)];
    const definitions = await inParallel(arns, DESCRIBE_CONCURRENCY, (arn) => this.get(arn).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))));
    return new Map(arns.map((arn, i) => [arn, definitions[i]]));
  }

  private async describe(taskDefinition: string): Promise<TaskDefinition> {
    const answer = await this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
    if (!answer.taskDefinition) throw new Error(`DescribeTaskDefinition answered no task definition for ${taskDefinition}`);
    return answer.taskDefinition;
  }
}
