import { EC2ServiceException } from '@aws-sdk/client-ec2';
import {
  ClientException,
  ClusterNotFoundException,
  ConflictException,
  ECSServiceException,
  InvalidParameterException,
  ResourceNotFoundException,
  ServerException,
} from '@aws-sdk/client-ecs';
import type { ResponseMetadata } from '@smithy/types';
import { randomUUID } from 'node:crypto';

export type AwsService = 'ecs' | 'ec2';

/**
 * What `failNext` makes a call fail with: a kind of failure the SDK knows, or this very error.
 * 'timeout': no answer, and nothing done. 'lost-answer': the call takes effect (a task is started,
 * say), then its answer is lost on the way back, so the caller sees a timeout and cannot tell.
 */
export type FaultKind = 'throttle' | 'server' | 'timeout' | 'lost-answer' | Error;

/** The metadata the SDK attaches to an answer or a service error after one attempt. */
export function responseMetadata(httpStatusCode: number): ResponseMetadata {
  return { httpStatusCode, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 };
}

export function clusterNotFound(): ClusterNotFoundException {
  return new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: responseMetadata(400) });
}

export function invalidParameter(message: string): InvalidParameterException {
  return new InvalidParameterException({ message, $metadata: responseMetadata(400) });
}

/** What ECS answers for a task definition it does not have, among other client errors. */
export function clientException(message: string): ClientException {
  return new ClientException({ message, $metadata: responseMetadata(400) });
}

/** RunTask's answer to a client token used before with other parameters. */
export function conflict(message: string): ConflictException {
  return new ConflictException({ message, $metadata: responseMetadata(400) });
}

export function resourceNotFound(message: string): ResourceNotFoundException {
  return new ResourceNotFoundException({ message, $metadata: responseMetadata(400) });
}

/**
 * What ECS answers a caller whose IAM policy does not allow the action: AccessDeniedException, a
 * client error (HTTP 400) listed among the Common Errors of the ECS API Reference, never retried
 * by the SDK. The message as AWS words it for a role.
 */
export function accessDenied(action: string, resource: string): ECSServiceException {
  return new ECSServiceException({
    name: 'AccessDeniedException',
    message: `User: arn:aws:sts::123456789012:assumed-role/fleet-manager/i-0123456789abcdef0 is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
    $fault: 'client',
    $metadata: responseMetadata(400),
  });
}

/** EC2 answers every client error with a code such as `InvalidInstanceID.NotFound` as the error's name. */
export function ec2ClientError(code: string, message: string): EC2ServiceException {
  return new EC2ServiceException({ name: code, message, $fault: 'client', $metadata: responseMetadata(400) });
}

/**
 * Throttling and 5xx answers as the SDK would raise them. The names differ by service because
 * AWS's do: ECS throttles with ThrottlingException, EC2 with RequestLimitExceeded; ECS models its
 * 5xx as ServerException, EC2 answers InternalError.
 */
export function injectedError(service: AwsService, kind: 'throttle' | 'server'): Error {
  if (kind === 'server') {
    return service === 'ecs'
      ? new ServerException({ message: 'Service encountered an internal error (injected by FakeAws).', $metadata: responseMetadata(500) })
      : new EC2ServiceException({ name: 'InternalError', message: 'An internal error has occurred (injected by FakeAws).', $fault: 'server', $metadata: responseMetadata(500) });
  }
  const options = { message: 'Rate exceeded (injected by FakeAws).', $fault: 'client' as const, $metadata: responseMetadata(400) };
  const error =
    service === 'ecs'
      ? new ECSServiceException({ ...options, name: 'ThrottlingException' })
      : new EC2ServiceException({ ...options, name: 'RequestLimitExceeded', message: 'Request limit exceeded (injected by FakeAws).' });
  error.$retryable = { throttling: true };
  return error;
}

/** The error @smithy/node-http-handler raises when a request exceeds its timeout. */
export function timeoutError(afterMs: number): Error {
  return Object.assign(new Error(`a request has exceeded the configured ${afterMs} ms requestTimeout (injected by FakeAws).`), {
    name: 'TimeoutError',
    code: 'ETIMEDOUT',
    $metadata: { attempts: 1, totalRetryDelay: 0 },
  });
}

/** What a call still in flight gets when the fake is closed under it. */
export class FakeAwsClosedError extends Error {
  override readonly name = 'FakeAwsClosedError';
  constructor() {
    super('FakeAws was closed while the call was in flight');
  }
}
