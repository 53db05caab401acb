import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { ActingFence } from '../lifecycle/acting-fence';

/** Calls that read and change nothing; by their names, which AWS gives every read-only call of ECS and EC2. */
const READS = /^(Describe|List|Get)/;

/**
 * Puts every call of the client that may change something (RunInstances, StartTask, StopTask,
 * TagResource, TerminateInstances, ... any call not known to be a read) behind the acting fence.
 * The check runs on each attempt, after the SDK's retry step: a retry the SDK sends once the
 * lease may have passed is refused too, and the refusal (a client error) is not retried.
 */
export function fenced<C extends ECSClient | EC2Client>(client: C, fence: ActingFence): C {
  const stack = client.middlewareStack as ECSClient['middlewareStack'];
  type Handler = (args: object) => Promise<unknown>;
  const guarded = (next: Handler, context: { commandName?: string }): Handler => (args) => {
    const name = (context.commandName ?? 'an AWS call').replace(/Command$/, '');
    return READS.test(name) ? next(args) : fence.guard(name, () => next(args));
  };
  // The stack's parameter is the union of every step's middleware type, which no one function matches by inference.
  stack.addRelativeTo(guarded as Parameters<typeof stack.addRelativeTo>[0], { name: 'actingFence', relation: 'after', toMiddleware: 'retryMiddleware' });
  return client;
}
