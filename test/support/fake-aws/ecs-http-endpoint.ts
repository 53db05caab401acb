import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeAwsClosedError } from './aws-errors';

/**
 * ECS as the SDK reaches it over the wire, so that whatever the SDK does between `send` and the
 * network (serialization, the retry middleware and its `amz-sdk-request` header, signing,
 * deserialization, and the manager's own middleware) runs in the tests as it runs against AWS.
 *
 * The wire protocol is AWS JSON 1.1, the one ECS is modelled with:
 * https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html: every call is `POST /` with
 * `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`, content type
 * `application/x-amz-json-1.1`, the input's members as a JSON object under their own names, and
 * timestamps as epoch seconds. An error is a 4xx/5xx whose body names its shape in `__type` (and
 * the `x-amzn-errortype` header), with a `message`.
 * The error names and codes are ECS's: the errors of each action (e.g.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html#API_RunTask_Errors:
 * ClientException, ClusterNotFoundException, ConflictException, InvalidParameterException, 400;
 * ServerException, 500) and the errors common to all actions
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html: ThrottlingException, 400).
 */
export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * One operation as the fake serves it: the input as it came over the wire and the attempt the SDK
 * says this is. Resolves to the output; rejects with the error ECS would answer, with a
 * `TimeoutError` for no answer at all, or with FakeAwsClosedError.
 */
export type EcsWireOperation = (input: Record<string, unknown>, attempt: number | undefined) => Promise<object>;

export interface EcsHttpEndpoint {
  /** `http://127.0.0.1:<port>`, what `endpoint` or AWS_ENDPOINT_URL_ECS takes. */
  readonly url: string;
  /** Stops listening and ends every connection, those left hanging included. */
  close(): Promise<void>;
}

/** Credentials for the SDK to sign with: it signs every request, and the endpoint checks no signature. */
export const FAKE_ECS_CREDENTIALS = { accessKeyId: 'AKIDFAKEAWSECS', secretAccessKey: 'fake-aws-ecs-not-a-secret' };

export async function startEcsHttpEndpoint(operations: ReadonlyMap<string, EcsWireOperation>): Promise<EcsHttpEndpoint> {
  const server = createServer((request, response) => {
    // The SDK may give up on a call (its requestTimeout) while the fake is still serving it.
    response.on('error', () => undefined);
    answer(operations, request, response).catch((error: unknown) => response.destroy(error as Error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections of the SDK's agent, and requests the fake leaves unanswered on purpose.
        server.closeAllConnections();
      }),
  };
}

/**
 * Points every ECSClient built from now on (one without an `endpoint` of its own) at `url`, through
 * the SDK's service-specific endpoint variable, with credentials to sign with. Answers what undoes it.
 */
export function pointSdkAtEcs(url: string): () => void {
  const values: Record<string, string> = {
    AWS_ENDPOINT_URL_ECS: url,
    AWS_ACCESS_KEY_ID: FAKE_ECS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_ECS_CREDENTIALS.secretAccessKey,
  };
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

async function answer(operations: ReadonlyMap<string, EcsWireOperation>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request);
  const target = header(request, 'x-amz-target') ?? '';
  const operation = target.startsWith(ECS_TARGET_PREFIX) ? operations.get(target.slice(ECS_TARGET_PREFIX.length)) : undefined;
  if (request.method !== 'POST' || request.url !== '/' || !operation) {
    return sendError(response, 400, 'UnknownOperationException', `FakeAws serves no ECS operation ${JSON.stringify(target)} at ${request.method} ${request.url}.`);
  }
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body);
  } catch {
    return sendError(response, 400, 'SerializationException', 'The request body is not JSON.');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return sendError(response, 400, 'SerializationException', 'The request body is not a JSON object.');

  let output: object;
  try {
    output = await operation(input as Record<string, unknown>, attemptOf(request));
  } catch (error) {
    if (error instanceof FakeAwsClosedError) return void response.destroy();
    // No answer at all: the connection stays open and silent until the client's deadline ends it (or close() does).
    if ((error as Error).name === 'TimeoutError') return;
    const { name, message, status } = wireError(error);
    return sendError(response, status, name, message);
  }
  const { $metadata: _metadata, ...members } = output as { $metadata?: unknown };
  send(response, 200, {}, toWire(members));
}

/** `amz-sdk-request: attempt=2; max=5`, which the SDK's retry middleware sets on every attempt. */
function attemptOf(request: IncomingMessage): number | undefined {
  const match = /(?:^|;)\s*attempt=(\d+)/.exec(header(request, 'amz-sdk-request') ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The fake raises the SDK's own exception classes (ClusterNotFoundException, ...) or errors shaped like them. */
function wireError(error: unknown): { name: string; message: string; status: number } {
  const e = error as { name?: string; message?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ?? (e.$fault === 'server' ? 500 : 400);
  return { name: e.name ?? 'Error', message: e.message ?? String(error), status };
}

function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  send(response, status, { 'x-amzn-errortype': type }, { __type: type, message });
}

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  if (response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

/** AWS JSON carries a timestamp as epoch seconds (fractions allowed), not as the ISO string JSON.stringify would make of a Date. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, toWire(member)]));
  return value;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
