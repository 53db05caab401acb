import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { isLeaseRecord, LeaseRecord } from './lease-record';
import { LeaseStore } from './lease-store';

/**
 * The lease of managers on ECS: one item per fleet in a DynamoDB table (partition key `fleet`,
 * a string), changed only by conditional writes, which DynamoDB applies atomically
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
 * Reads are strongly consistent: an eventually consistent read could show a token already
 * replaced, and a standby would wait on a lease that is being renewed, or not notice a release.
 */
export class DynamoDbLeaseStore implements LeaseStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly fleet: string,
  ) {}

  get description(): string {
    return `DynamoDB table ${this.table}, item fleet=${this.fleet}`;
  }

  async read(): Promise<LeaseRecord | undefined> {
    const { Item: item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { fleet: { S: this.fleet } }, ConsistentRead: true }));
    if (!item) return undefined;
    const record = { holder: item.holder?.S, token: item.token?.S, durationMs: Number(item.durationMs?.N), renewedAt: item.renewedAt?.S };
    return isLeaseRecord(record) ? record : undefined;
  }

  async write(record: LeaseRecord, expected: string | undefined): Promise<boolean> {
    return this.conditionally(() =>
      this.client.send(
        new PutItemCommand({
        TableName: this.table,
        Item: {
          fleet: { S: this.fleet },
          holder: { S: record.holder },
          token: { S: record.token },
          durationMs: { N: String(record.durationMs) },
          renewedAt: { S: record.renewedAt },
        },
          ...this.condition(expected),
        }),
      ),
    );
  }

  async remove(expected: string): Promise<void> {
    await this.conditionally(() => this.client.send(new DeleteItemCommand({ TableName: this.table, Key: { fleet: { S: this.fleet } }, ...this.condition(expected) })));
  }

  private condition(expected: string | undefined) {
    return expected === undefined
      ? { ConditionExpression: 'attribute_not_exists(fleet)' }
      : { ConditionExpression: '#token = :expected', ExpressionAttributeNames: { '#token': 'token' }, ExpressionAttributeValues: { ':expected': { S: expected } } };
  }

  /** True if the write was made; false if its condition failed (someone else's lease); any other error is thrown. */
  private async conditionally(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
