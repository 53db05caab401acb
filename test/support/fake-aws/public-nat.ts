import { connect, createServer, Server, Socket } from 'node:net';

/**
 * An instance's or an ENI's public IPv4 address is not configured on it: AWS translates it to the
 * private address one to one, and the game server listens on the private one
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-ip-addressing.html, public IPv4 addresses).
 * The fake does the same for each running game server: a forwarder on the public address and the
 * game port to the private one. It counts what comes in, so a test can tell whether game clients
 * and probes used the address they should.
 */
export class PublicNat {
  private readonly forwarders = new Map<string, { readonly server: Server; readonly sockets: Set<Socket> }>();
  private readonly connections = new Map<string, number>();

  /** From now on `publicIp:port` reaches `privateIp:port`. */
  async open(publicIp: string, privateIp: string, port: number): Promise<void> {
    const sockets = new Set<Socket>();
    const key = `${publicIp}:${port}`;
    const server = createServer((client) => {
      this.connections.set(key, (this.connections.get(key) ?? 0) + 1);
      const upstream = connect(port, privateIp);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      }
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, publicIp, () => resolve());
    });
    this.forwarders.set(key, { server, sockets });
  }

  /** The translation ends (the task stopped): open connections are cut, as the host behind them is gone. */
  close(publicIp: string, port: number): Promise<void> {
    return this.closeForwarder(`${publicIp}:${port}`);
  }

  /** How many connections came in on `publicIp:port` since the fake started. */
  connectionsTo(address: string): number {
    return this.connections.get(address) ?? 0;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.forwarders.keys()].map((key) => this.closeForwarder(key)));
  }

  private async closeForwarder(key: string): Promise<void> {
    const forwarder = this.forwarders.get(key);
    if (!forwarder) return;
    this.forwarders.delete(key);
    for (const socket of forwarder.sockets) socket.destroy();
    await new Promise<void>((resolve) => forwarder.server.close(() => resolve()));
  }
}
