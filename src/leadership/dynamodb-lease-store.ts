import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { isLeaseRecord, LeaseRecord, unreadableRecord } from './lease-record';

/** The token of an item without a string token of its own: see UNREADABLE_HOLDER. */
const NO_TOKEN = 'unreadable:no-token';
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
    if (isLeaseRecord(record)) return record;
    // Held, not free: an item nobody can renew must not keep every manager out, nor let one in at once.
    return unreadableRecord(item.token?.S || NO_TOKEN);
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

  async remove(expected: string): Promise<boolean> {
    return this.conditionally(() => this.client.send(new DeleteItemCommand({ TableName: this.table, Key: { fleet: { S: this.fleet } }, ...this.condition(expected) })));
  }

  private condition(expected: string | undefined): Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
    if (expected === undefined) return { ConditionExpression: 'attribute_not_exists(fleet)' };
    if (expected === NO_TOKEN) {
      return {
        ConditionExpression: 'attribute_exists(fleet) AND (attribute_not_exists(#token) OR NOT attribute_type(#token, :string) OR #token = :empty)',
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':string': { S: 'S' }, ':empty': { S: '' } },
      };
    }
    return { ConditionExpression: '#token = :expected', ExpressionAttributeNames: { '#token': 'token' }, ExpressionAttributeValues: { ':expected': { S: expected } } };
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
