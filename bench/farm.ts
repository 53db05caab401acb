import { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startHelper, stopProcess } from './children';
import type { FarmShardConfig } from './health-farm';

/**
 * Listeners per farm process. A listener and the manager's kept-alive connection to it cost two
 * file descriptors, and the limit here is 20,000 a process: 10,000 servers take two farm processes.
 */
const PER_SHARD = 5000;

export interface FarmServer {
  /** host:port of the health endpoint. */
  readonly address: string;
  /** The process that answers for it. */
  readonly pid: number;
}

export interface HealthFarm {
  readonly servers: readonly FarmServer[];
  stop(): Promise<void>;
}

/**
 * Starts as many fake healthy game servers as asked, on loopback addresses only: 127.0.0.1,
 * 127.0.0.2, ... with `perHost` listeners each (all on 127.0.0.1 when perHost = count <= 5000).
 */
export async function startHealthFarm(count: number, capacity: number, perHost = 250): Promise<HealthFarm> {
  const shards = Math.ceil(count / PER_SHARD);
  const hostsPerShard = Math.ceil(Math.min(PER_SHARD, count) / perHost);
  if (shards * hostsPerShard > 254) throw new Error(`${count} servers at ${perHost} a host need more than 127.0.0.1-254`);
  const children: ChildProcess[] = [];
  try {
    const started = await Promise.all(
      Array.from({ length: shards }, (_, k) => {
        const config: FarmShardConfig = { count: Math.min(PER_SHARD, count - k * PER_SHARD), capacity, perHost, firstHost: 1 + k * hostsPerShard };
        return startHelper<{ addresses: string[] }>(join(__dirname, 'health-farm.js'), [JSON.stringify(config)]).then((shard) => {
          children.push(shard.child);
          return shard;
        });
      }),
    );
    const servers = started.flatMap(({ child, message }) => message.addresses.map((address) => ({ address, pid: child.pid as number })));
    return { servers, stop: () => Promise.all(children.map((child) => stopProcess(child))).then(() => undefined) };
  } catch (error) {
    await Promise.all(children.map((child) => stopProcess(child)));
    throw error;
  }
}
