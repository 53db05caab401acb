import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// dynalite ships no types: a function that returns an http.Server serving the DynamoDB API.
const dynalite = require('dynalite') as (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

/** Fixed test credentials: the SDK signs every request, and dynalite accepts any signature. */
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'test-only-secret' };

export interface RunningDynalite {
  readonly endpoint: string;
  client(): DynamoDBClient;
  /** Creates the lease table as the docs define it (partition key `fleet`, on demand); answers its name. */
  createLeaseTable(name: string): Promise<string>;
  /** Stops answering (the store is lost); `close` also ends its connections. */
  close(): Promise<void>;
}

/**
 * A real DynamoDB implementation (dynalite, on LevelDB in memory) on a loopback port: conditional
 * writes, strongly consistent reads and DynamoDB's own validation and error names.
 */
export async function startDynalite(port = 0): Promise<RunningDynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = () => new DynamoDBClient({ endpoint, region: 'ap-south-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  return {
    endpoint,
    client,
    async createLeaseTable(name) {
      await client().send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: 'fleet', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'fleet', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      return name;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
