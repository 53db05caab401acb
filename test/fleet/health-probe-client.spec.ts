import { execFile, spawn } from 'node:child_process';
import { createServer as createHttpServer, IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { AddressInfo, createServer as createTcpServer, Server as TcpServer, Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { failedProbe, HealthProbeClient } from '../../src/fleet/health-probe-client';
import { ProbeResult } from '../../src/fleet/health-report';

/**
 * The probe timeout of the tests that expect a timeout. A test that expects an answer probes with
 * ANSWER_TIMEOUT_S instead: on a loaded machine the first probe of a process (connection, parser,
 * JIT) can take longer than 300 ms, and that test is not about the timeout.
 */
const PROBE_TIMEOUT_S = 0.3;
const ANSWER_TIMEOUT_S = 5;
/** The tests of a stall of the manager's own: a timeout it stalls far beyond, yet one a loaded machine answers within. */
const STALL_TIMEOUT_S = 1;
const PROBE_CONCURRENCY = 4;
const TEN_MB = 10 * 1024 * 1024;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const openServers: Array<HttpServer | TcpServer> = [];
const openSockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of openSockets) socket.destroy();
  openSockets.clear();
  await Promise.all(openServers.splice(0).map(closeServer));
});

function closeServer(server: HttpServer | TcpServer): Promise<void> {
  if (server instanceof HttpServer) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function listen(server: HttpServer | TcpServer): Promise<string> {
  openServers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

/** A real HTTP server on a free loopback port; resolves to its host:port. */
function serve(handler: Handler): Promise<string> {
  return listen(createHttpServer(handler));
}

function answer(status: number, body: string, contentType = 'application/json'): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  };
}

const answerJson = (value: unknown) => answer(200, JSON.stringify(value));

const clients: HealthProbeClient[] = [];
afterEach(() => clients.splice(0).forEach((client) => client.close()));

function newProber(timeoutS = ANSWER_TIMEOUT_S): HealthProbeClient {
  const client = new HealthProbeClient({ timeoutMs: timeoutS * 1000, concurrency: PROBE_CONCURRENCY });
  clients.push(client);
  return client;
}

async function probeServer(handler: Handler, timeoutS = ANSWER_TIMEOUT_S): Promise<ProbeResult> {
  return newProber(timeoutS).probe(await serve(handler));
}

/** Resolves with the text once it matches. */
async function waitForOutput(text: () => string, pattern: RegExp): Promise<string> {
  while (!pattern.test(text())) await sleep(5);
  return text();
}

function expectFailure(result: ProbeResult, error: RegExp): void {
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.error).toMatch(error);
}

describe('HealthProbeClient.probe: good reports', () => {
  it('reads available_capacity and ready_to_close', async () => {
    const result = await probeServer(answerJson({ available_capacity: 3, ready_to_close: false }));
    expect(result).toEqual({ ok: true, report: { availableCapacity: 3, readyToClose: false } });
  });

  it('accepts extra keys and the limits of the range', async () => {
    const extra = await probeServer(answerJson({ available_capacity: 0, ready_to_close: true, players: 10, version: '2.1' }));
    expect(extra).toEqual({ ok: true, report: { availableCapacity: 0, readyToClose: true } });
    const largest = await probeServer(answerJson({ available_capacity: 100_000, ready_to_close: true }));
    expect(largest).toEqual({ ok: true, report: { availableCapacity: 100_000, readyToClose: true } });
  });

  it('asks GET /health/ with the trailing slash', async () => {
    const asked: string[] = [];
    const result = await probeServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      answerJson({ available_capacity: 1, ready_to_close: true })(req, res);
    });
    expect(result.ok).toBe(true);
    expect(asked).toEqual(['GET /health/']);
  });
});

describe('HealthProbeClient.probe: bad answers fail without throwing', () => {
  it.each<[string, Handler, RegExp]>([
    ['garbage text', answer(200, 'Service is up and running!', 'text/plain'), /not JSON/],
    ['partial JSON', answer(200, '{"available_capacity": 3'), /not JSON/],
    ['an empty body', answer(200, ''), /not JSON/],
    ['a JSON array', answerJson([{ available_capacity: 3, ready_to_close: true }]), /not a JSON object/],
    ['JSON null', answerJson(null), /not a JSON object/],
    ['a missing available_capacity', answerJson({ ready_to_close: true }), /available_capacity/],
    ['a missing ready_to_close', answerJson({ available_capacity: 3 }), /ready_to_close/],
    ['a negative capacity', answerJson({ available_capacity: -1, ready_to_close: true }), /available_capacity -1/],
    ['a fractional capacity', answerJson({ available_capacity: 2.5, ready_to_close: true }), /available_capacity 2\.5/],
    ['a capacity given as a string', answerJson({ available_capacity: '3', ready_to_close: true }), /available_capacity "3"/],
    ['an absurdly large capacity', answerJson({ available_capacity: 100_001, ready_to_close: true }), /available_capacity 100001/],
    ['ready_to_close as a string', answerJson({ available_capacity: 3, ready_to_close: 'true' }), /ready_to_close "true"/],
    ['ready_to_close as a number', answerJson({ available_capacity: 3, ready_to_close: 1 }), /ready_to_close 1/],
    ['HTTP 500', answer(500, '{"available_capacity": 3, "ready_to_close": true}'), /^health endpoint answered HTTP 500$/],
    ['HTTP 404', answer(404, 'not found', 'text/plain'), /^health endpoint answered HTTP 404$/],
    // The edges of the redirect range: 300 and 399 are redirects, 400 and 299 are not.
    ['HTTP 300', answer(300, ''), /^health endpoint answered HTTP 300 \(a redirect: probes never follow one\)$/],
    ['HTTP 399', answer(399, ''), /^health endpoint answered HTTP 399 \(a redirect: probes never follow one\)$/],
    ['HTTP 400', answer(400, ''), /^health endpoint answered HTTP 400$/],
    ['HTTP 299', answer(299, '{"available_capacity": 3, "ready_to_close": true}'), /^health endpoint answered HTTP 299$/],
  ])('%s', async (_case, handler, error) => {
    expectFailure(await probeServer(handler), error);
  });

  // Each is refused before any connection or DNS lookup: node:http alone would take a missing port
  // for 80 and look the rest up as a host name.
  it.each([['not an address'], ['127.0.0.1'], ['127.0.0.1:'], [':8080'], ['127.0.0.1:0'], ['127.0.0.1:65536'], ['127.0.0.1:80.5'], ['a b:80'], ['user@host:80'], ['host/path:80'], ['[::1:80'], ['game]:7777']])(
    'fails on the invalid address %j, naming it',
    async (address) => {
      expect(await newProber().probe(address)).toEqual({ ok: false, error: `${JSON.stringify(address)} is not a host:port address` });
    },
  );

  // Nothing listens there: the probe is made, and the connection refused.
  it.each([['127.0.0.1:1'], ['127.0.0.1:65535']])('takes %j, at an end of the port range, for an address', async (address) => {
    expect(await newProber().probe(address)).toEqual({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('probes an IPv6 address given in brackets', async () => {
    const server = createHttpServer(answer(200, '{"available_capacity": 4, "ready_to_close": false}'));
    openServers.push(server);
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '::1', () => resolve((server.address() as AddressInfo).port));
    });
    expect(await newProber().probe(`[::1]:${port}`)).toEqual({ ok: true, report: { availableCapacity: 4, readyToClose: false } });
  });
});

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/** Streams up to 10 MB, honouring backpressure, and tells how much of it the client took before hanging up. */
function hugeBody(declareLength: boolean): { handler: Handler; sent: Promise<{ bytes: number; complete: boolean }> } {
  let report!: (outcome: { bytes: number; complete: boolean }) => void;
  const sent = new Promise<{ bytes: number; complete: boolean }>((resolve) => (report = resolve));
  const handler: Handler = async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...(declareLength ? { 'content-length': String(TEN_MB) } : {}) });
    const chunk = Buffer.alloc(64 * 1024, ' ');
    let bytes = 0;
    let hungUp = false;
    res.once('close', () => (hungUp = !res.writableFinished));
    while (bytes < TEN_MB && !hungUp) {
      bytes += chunk.length;
      if (!res.write(chunk)) await drainedOrClosed(res);
    }
    if (!hungUp) res.end();
    await new Promise((resolve) => (res.closed ? resolve(undefined) : res.once('close', resolve)));
    report({ bytes, complete: res.writableFinished });
  };
  return { handler, sent };
}

/** A TCP server that answers whatever arrives with `respond`, bytes as they are, valid HTTP or not. */
function rawServer(respond: (socket: Socket) => void): Promise<string> {
  return listen(
    createTcpServer((socket) => {
      openSockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('data', () => respond(socket));
    }),
  );
}

const HEAD_200 = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n';
const GOOD_BODY = '{"available_capacity":1,"ready_to_close":true}';
const writes =
  (...parts: string[]): ((socket: Socket) => void) =>
  (socket) =>
    void socket.write(parts.join(''));

describe('HealthProbeClient.probe: hostile answers on a real socket end in a failed probe, never an exception', () => {
  it.each<[string, (socket: Socket) => void, RegExp]>([
    ['a redirect to a malformed Location (http://[::1)', writes('HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n'), /HTTP 302 \(a redirect/],
    ['a redirect without a Location', writes('HTTP/1.1 307 Temporary Redirect\r\nContent-Length: 0\r\n\r\n'), /HTTP 307 \(a redirect/],
    ['a redirect to the manager itself', writes('HTTP/1.1 308 Permanent Redirect\r\nLocation: http://127.0.0.1:3000/available-gameserver/\r\nContent-Length: 0\r\n\r\n'), /HTTP 308 \(a redirect/],
    ['a status line that is not HTTP', writes('SSH-2.0-OpenSSH_9.6\r\n'), /Parse Error|HPE_/],
    ['a header line without a colon', writes(HEAD_200, 'this is not a header\r\nContent-Length: 2\r\n\r\n{}'), /Parse Error|HPE_/],
    ['a control character in a header name', writes(HEAD_200, 'X-\u0001Bad: y\r\nContent-Length: 2\r\n\r\n{}'), /Parse Error|HPE_/],
    ['a NUL in a header value', writes(HEAD_200, 'X-Bad: a\u0000b\r\nContent-Length: 2\r\n\r\n{}'), /Parse Error|HPE_/],
    ['a 100 KiB header', writes(HEAD_200, `X-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`), /Parse Error|HPE_/],
    ['two different Content-Lengths', writes(HEAD_200, 'Content-Length: 2\r\nContent-Length: 47\r\n\r\n', GOOD_BODY), /Parse Error|HPE_/],
    ['both Content-Length and chunked', writes(HEAD_200, 'Content-Length: 47\r\nTransfer-Encoding: chunked\r\n\r\n', GOOD_BODY), /Parse Error|HPE_/],
    ['a negative Content-Length', writes(HEAD_200, 'Content-Length: -1\r\n\r\n', GOOD_BODY), /Parse Error|HPE_/],
    ['a chunk size that is not hexadecimal', writes(HEAD_200, 'Transfer-Encoding: chunked\r\n\r\nzz\r\n', GOOD_BODY, '\r\n0\r\n\r\n'), /Parse Error|HPE_|cut short/],
    ['a chunk longer than its size', writes(HEAD_200, 'Transfer-Encoding: chunked\r\n\r\n5\r\n', GOOD_BODY, '\r\n0\r\n\r\n'), /Parse Error|HPE_|cut short/],
    ['a chunked body closed before its last chunk', (socket) => socket.end(`${HEAD_200}Transfer-Encoding: chunked\r\n\r\n5\r\n{"ava\r\n`), /^the answer was cut short$/],
    ['a reset in the middle of the body', (socket) => {
      socket.write(`${HEAD_200}Content-Length: 47\r\n\r\n{"available_`);
      setTimeout(() => socket.resetAndDestroy(), 20);
    }, /^read ECONNRESET$/],
    ['a close in the middle of the body', (socket) => {
      socket.write(`${HEAD_200}Content-Length: 47\r\n\r\n{"available_`);
      setTimeout(() => socket.end(), 20);
    }, /^the answer was cut short$/],
    // Refused on the length it declares, not after waiting for a body that may never come.
    ['a declared length over the limit, and then nothing', writes(HEAD_200, 'Content-Length: 16385\r\n\r\n'), /^health answer larger than 16384 bytes$/],
    ['a close before any answer', (socket) => socket.end(), /hang up|ECONNRESET/],
    ['a reset before any answer', (socket) => socket.resetAndDestroy(), /ECONNRESET|hang up/],
    ['interim 100 Continue answers and nothing after', writes('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n'), /no answer within 300 ms/],
    ['a chunked body that drips one byte at a time and never ends', (socket) => {
      socket.write(`${HEAD_200}Transfer-Encoding: chunked\r\n\r\n`);
      const drip = setInterval(() => (socket.writable ? socket.write('1\r\n \r\n') : clearInterval(drip)), 10);
      socket.once('close', () => clearInterval(drip));
    }, /no answer within 300 ms/],
    ['headers that never end', (socket) => {
      socket.write(HEAD_200);
      const drip = setInterval(() => (socket.writable ? socket.write('X-More: 1\r\n') : clearInterval(drip)), 20);
      socket.once('close', () => clearInterval(drip));
    }, /no answer within 300 ms|Parse Error|HPE_/],
  ])('%s', async (_case, respond, error) => {
    // The rows that expect no answer wait out the short timeout; the others must not race it.
    const timeoutS = /no answer within/.test(error.source) ? PROBE_TIMEOUT_S : ANSWER_TIMEOUT_S;
    expectFailure(await newProber(timeoutS).probe(await rawServer(respond)), error);
  });

  it('does not follow a redirect to a well-formed address', async () => {
    const asked: string[] = [];
    const target = await serve((req, res) => {
      asked.push(req.url ?? '');
      answerJson({ available_capacity: 7, ready_to_close: false })(req, res);
    });
    const result = await probeServer((_req, res) => {
      res.writeHead(302, { location: `http://${target}/health/` });
      res.end();
    });
    expectFailure(result, /HTTP 302 \(a redirect: probes never follow one\)/);
    expect(asked).toEqual([]);
  });
});

describe('HealthProbeClient.probe: an answer at the size limit (16 KiB)', () => {
  /** A valid report padded with spaces to exactly `bytes`. */
  const padded = (bytes: number) => {
    const json = '{"available_capacity": 3, "ready_to_close": true}';
    return json + ' '.repeat(bytes - json.length);
  };

  it.each([
    ['with content-length', true],
    ['chunked, without content-length', false],
  ])('reads one of exactly the limit %s, and refuses one byte more', async (_case, declareLength) => {
    const handler = (bytes: number): Handler => (_req, res) => {
      res.writeHead(200, declareLength ? { 'content-type': 'application/json', 'content-length': String(bytes) } : { 'content-type': 'application/json' });
      res.end(padded(bytes));
    };
    expect(await probeServer(handler(16 * 1024))).toEqual({ ok: true, report: { availableCapacity: 3, readyToClose: true } });
    expectFailure(await probeServer(handler(16 * 1024 + 1)), /^health answer larger than 16384 bytes$/);
  });
});

describe('HealthProbeClient.probe: a huge answer', () => {
  it.each([
    ['with content-length', true],
    ['chunked, without content-length', false],
  ])('fails %s without reading it all', async (_case, declareLength) => {
    const { handler, sent } = hugeBody(declareLength);
    const result = await probeServer(handler);
    expectFailure(result, /larger than/);
    const outcome = await sent;
    expect(outcome.complete).toBe(false);
    expect(outcome.bytes).toBeLessThan(TEN_MB);
  });
});

describe('HealthProbeClient.probe: no answer', () => {
  it('fails within about the timeout when the server accepts but never answers', async () => {
    const address = await listen(createTcpServer((socket) => openSockets.add(socket)));
    const started = Date.now();
    const result = await newProber(PROBE_TIMEOUT_S).probe(address);
    const elapsed = Date.now() - started;
    expectFailure(result, /no answer within 300 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
  });

  it('fails within about the timeout when the body never ends', async () => {
    const started = Date.now();
    const result = await probeServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"available_capacity": 3,');
    }, PROBE_TIMEOUT_S);
    expectFailure(result, /no answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("does not blame a server for the manager's own stall: an answer that arrived meanwhile counts", async () => {
    // The server is another process, so that it answers while this one is frozen. It says when a
    // request reached it, answers 50 ms later, and says when it answered.
    const child = spawn(process.execPath, [
      '-e',
      `require('node:http').createServer((q, s) => {
          console.log('request');
          setTimeout(() => { s.end('{"available_capacity": 4, "ready_to_close": false}'); console.log('answered ' + Date.now()); }, 50);
        }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`,
    ]);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitForOutput(() => output, /^\d+$/m);
      const probing = newProber(STALL_TIMEOUT_S).probe(`127.0.0.1:${/^(\d+)$/m.exec(output)![1]}`);
      await waitForOutput(() => output, /^request$/m);
      // Frozen for far longer than the timeout. In a check-phase callback, so that the next turn of
      // the event loop sees the time that passed and runs the timeout's timer first.
      const frozen = { from: 0, to: 0 };
      setImmediate(() => {
        frozen.from = Date.now();
        while (Date.now() < frozen.from + 3 * STALL_TIMEOUT_S * 1000);
        frozen.to = Date.now();
      });
      expect(await probing).toEqual({ ok: true, report: { availableCapacity: 4, readyToClose: false } });
      // The case under test: the answer came while this process was frozen.
      const answeredAt = Number(/^answered (\d+)$/m.exec(await waitForOutput(() => output, /^answered \d+$/m))![1]);
      expect(answeredAt).toBeGreaterThan(frozen.from);
      expect(answeredAt).toBeLessThan(frozen.to);
    } finally {
      child.kill();
    }
  });

  it("does not blame a server for a stall of the manager's own before the request left", async () => {
    const address = await serve(answerJson({ available_capacity: 1, ready_to_close: false }));
    const probing = newProber(STALL_TIMEOUT_S).probe(address);
    // Frozen before the connection is even made, for far longer than the timeout.
    const frozenUntil = Date.now() + 3 * STALL_TIMEOUT_S * 1000;
    while (Date.now() < frozenUntil);
    expect(await probing).toEqual({ ok: true, report: { availableCapacity: 1, readyToClose: false } });
  });

  // On a clock the test moves: how late the timeout's timer runs decides whether the server gets one more timeout.
  it.each([
    { case: 'on time: it is blamed at once', lateMs: 0, secondWait: false },
    { case: 'late by exactly half a timeout: still blamed at once', lateMs: 500, secondWait: false },
    { case: 'late by more than half a timeout: the manager stalled, one more timeout', lateMs: 501, secondWait: true },
  ])('a timer that runs $lateMs ms late after a probe of no answer: $case', async ({ lateMs, secondWait }) => {
    const address = await listen(createTcpServer((socket) => openSockets.add(socket)));
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      let result: ProbeResult | undefined;
      void newProber(1).probe(address).then((settled) => (result = settled));
      // The clock jumps as it does when the process is frozen; the timer then runs that much late.
      jest.setSystemTime(Date.now() + lateMs);
      jest.runOnlyPendingTimers();
      await new Promise((resolve) => setImmediate(resolve));
      expect(result).toEqual(secondWait ? undefined : { ok: false, error: 'no answer within 1000 ms' });
      jest.runOnlyPendingTimers();
      await new Promise((resolve) => setImmediate(resolve));
      expect(result).toEqual({ ok: false, error: 'no answer within 1000 ms' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('asks again on a new connection when a kept-alive one was closed under its request', async () => {
    const requestsPerConnection = new Map<Socket, number>();
    const address = await serve((req, res) => {
      const n = (requestsPerConnection.get(req.socket) ?? 0) + 1;
      requestsPerConnection.set(req.socket, n);
      // The second request on a connection finds it closed, as after the server's keep-alive timeout.
      if (n === 2) return req.socket.destroy();
      answerJson({ available_capacity: 2, ready_to_close: false })(req, res);
    });
    const prober = newProber();
    expect((await prober.probe(address)).ok).toBe(true);
    expect(await prober.probe(address)).toEqual({ ok: true, report: { availableCapacity: 2, readyToClose: false } });
    expect(requestsPerConnection.size).toBe(2);
  });

  it('keeps one connection to a game server across probes, and asks for JSON', async () => {
    const connections = new Set<Socket>();
    const accepts = new Set<string | undefined>();
    const address = await serve((req, res) => {
      connections.add(req.socket);
      accepts.add(req.headers.accept);
      answerJson({ available_capacity: 2, ready_to_close: false })(req, res);
    });
    const prober = newProber();
    for (let i = 0; i < 3; i++) expect((await prober.probe(address)).ok).toBe(true);
    // At 10,000 servers a connection per probe would cost a handshake each, and a file descriptor in TIME_WAIT.
    expect(connections.size).toBe(1);
    expect([...accepts]).toEqual(['application/json']);
  });

  it('does not ask again after a timeout closed a kept-alive connection', async () => {
    let requests = 0;
    // Answers the first request of the test, then never again.
    const address = await serve((req, res) => {
      requests += 1;
      if (requests === 1) answerJson({ available_capacity: 2, ready_to_close: false })(req, res);
    });
    // One prober for both probes: long enough for the first answer on a loaded machine.
    const prober = newProber(STALL_TIMEOUT_S);
    expect((await prober.probe(address)).ok).toBe(true);
    expectFailure(await prober.probe(address), /no answer within 1000 ms/);
    await sleep(200);
    expect(requests).toBe(2);
  });

  it('fails on a closed port: the server is blamed', async () => {
    const server = createTcpServer();
    const address = await listen(server);
    await closeServer(server);
    const result = await newProber().probe(address);
    expectFailure(result, /ECONNREFUSED/);
    expect(result).not.toHaveProperty('unsent');
  });

  it("marks a probe it could not send for want of its own descriptors (EMFILE) as unsent, the manager's fault", async () => {
    const address = await serve(answerJson({ available_capacity: 1, ready_to_close: false }));
    // Another process, the built client in it, with every descriptor its limit allows taken, as in a leak of its own.
    const client = join(__dirname, '..', '..', 'dist', 'fleet', 'health-probe-client.js');
    const script = `
      const { HealthProbeClient } = require(${JSON.stringify(client)});
      const held = [];
      try { for (;;) held.push(require('node:fs').openSync('/dev/null', 'r')); } catch (error) { if (error.code !== 'EMFILE') throw error; }
      new HealthProbeClient({ timeoutMs: 5000, concurrency: 1 }).probe(process.argv[1]).then((result) => { console.log(JSON.stringify(result)); process.exit(0); });`;
    const { stdout } = await promisify(execFile)('/bin/sh', ['-c', 'ulimit -n 64 && exec "$0" -e "$1" "$2"', process.execPath, script, address]);
    expect(JSON.parse(stdout)).toEqual({ ok: false, error: expect.stringContaining('EMFILE'), unsent: true });
  });
});

describe('failedProbe: whose fault a failed probe is', () => {
  const error = (code: string | undefined, message: string) => Object.assign(new Error(message), { code });
  it.each<{ case: string; error: unknown; expected: ProbeResult }>([
    { case: 'out of descriptors (EMFILE): unsent', error: error('EMFILE', 'connect EMFILE'), expected: { ok: false, error: 'connect EMFILE', unsent: true } },
    { case: 'the system out of descriptors (ENFILE): unsent', error: error('ENFILE', 'x'), expected: { ok: false, error: 'ENFILE: x', unsent: true } },
    { case: 'no kernel buffers (ENOBUFS): unsent', error: error('ENOBUFS', 'x'), expected: { ok: false, error: 'ENOBUFS: x', unsent: true } },
    { case: 'no kernel memory (ENOMEM): unsent', error: error('ENOMEM', 'x'), expected: { ok: false, error: 'ENOMEM: x', unsent: true } },
    { case: 'every local port in use (EADDRNOTAVAIL): unsent', error: error('EADDRNOTAVAIL', 'x'), expected: { ok: false, error: 'EADDRNOTAVAIL: x', unsent: true } },
    { case: 'refused (ECONNREFUSED): the server', error: error('ECONNREFUSED', 'connect ECONNREFUSED'), expected: { ok: false, error: 'connect ECONNREFUSED' } },
    { case: 'reset (ECONNRESET): the server', error: error('ECONNRESET', 'socket hang up'), expected: { ok: false, error: 'ECONNRESET: socket hang up' } },
    { case: 'unreachable (EHOSTUNREACH): the server', error: error('EHOSTUNREACH', 'x'), expected: { ok: false, error: 'EHOSTUNREACH: x' } },
    { case: 'no code: the server', error: new Error('the answer was cut short'), expected: { ok: false, error: 'the answer was cut short' } },
    { case: 'not an error at all: the server', error: undefined, expected: { ok: false, error: 'undefined' } },
  ])('$case', ({ error: thrown, expected }) => {
    expect(failedProbe(thrown)).toEqual(expected);
  });
});

describe('HealthProbeClient.probeAll', () => {
  it('returns results in the order of the addresses, whatever order they finish in', async () => {
    const capacities = [5, 4, 3, 2, 1, 0];
    const addresses = await Promise.all(
      capacities.map((capacity) =>
        serve(async (req, res) => {
          await sleep(20 + capacity * 20);
          answerJson({ available_capacity: capacity, ready_to_close: capacity === 0 })(req, res);
        }),
      ),
    );
    const closedPort = createTcpServer();
    const refused = await listen(closedPort);
    await closeServer(closedPort);
    const results = await newProber().probeAll([...addresses, refused]);

    expect(results.slice(0, capacities.length)).toEqual(
      capacities.map((capacity) => ({ ok: true, report: { availableCapacity: capacity, readyToClose: capacity === 0 } })),
    );
    expect(results[capacities.length].ok).toBe(false);
  });

  it(`never runs more than PROBE_CONCURRENCY (${PROBE_CONCURRENCY}) probes at once`, async () => {
    let open = 0;
    let mostOpen = 0;
    let served = 0;
    const address = await serve(async (req, res) => {
      open++;
      mostOpen = Math.max(mostOpen, open);
      await sleep(40);
      open--;
      served++;
      answerJson({ available_capacity: 1, ready_to_close: false })(req, res);
    });
    const results = await newProber().probeAll(Array.from({ length: 20 }, () => address));

    expect(results.every((result) => result.ok)).toBe(true);
    expect(served).toBe(20);
    expect(mostOpen).toBe(PROBE_CONCURRENCY);
  });

  it('answers an empty list with an empty list', async () => {
    await expect(newProber().probeAll([])).resolves.toEqual([]);
  });
});
