import { Agent, request } from 'node:http';

/**
 * Clients at addresses of their own. Every 127.x.y.z address is this machine's loopback, so a
 * request sent from 127.0.0.66 reaches the manager with 127.0.0.66 as its peer, as a request from
 * another host would.
 */
export function clientAt(address: string, sockets = 1): Agent {
  return new Agent({ keepAlive: true, localAddress: address, maxSockets: sockets });
}

export interface ClientAnswer {
  readonly status: number;
  readonly body: string;
}

/** One GET of `url` through `agent` (see clientAt). */
export function getFrom(agent: Agent, url: string, headers: Record<string, string> = {}): Promise<ClientAnswer> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { agent, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode as number, body }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end();
  });
}

export interface Flood {
  /** Requests sent, and their answers by status (0: no answer). */
  readonly sent: number;
  readonly byStatus: Readonly<Record<number, number>>;
}

/**
 * Asks `url` `perSecond` times a second from one address for `seconds`, as a script would: in
 * batches every 10 ms, without waiting for answers, up to 2,000 unanswered at once.
 */
export async function flood(url: string, from: string, perSecond: number, seconds: number): Promise<Flood> {
  const agent = clientAt(from, 32);
  const byStatus: Record<number, number> = {};
  const answers: Promise<void>[] = [];
  let unanswered = 0;
  const count = (status: number) => {
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    unanswered -= 1;
  };
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * perSecond);
    for (; sent < due && unanswered < 2_000; sent++) {
      unanswered += 1;
      answers.push(getFrom(agent, url).then((answer) => count(answer.status), () => count(0)));
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(answers);
  agent.destroy();
  return { sent, byStatus };
}
