import type { FleetMetrics } from '../metrics/fleet-metrics';

/** What timed() needs of an SDK client: its middleware stack. */
interface WithMiddleware {
  readonly middlewareStack: { add(middleware: never, options: { step: 'initialize'; name: string }): void };
}

/**
 * Times every call of an AWS SDK client into fleet_manager_aws_call_duration_seconds, by
 * operation (RunInstances, StartTask, ...) and outcome. Added at the first step of the stack,
 * before the SDK's retries, so that a call's time is what the caller waited, retries included.
 */
export function timed<C extends WithMiddleware>(client: C, metrics: FleetMetrics): C {
  type Handler = (args: object) => Promise<unknown>;
  const timer = (next: Handler, context: { commandName?: string }): Handler => async (args) => {
    const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
    const started = performance.now();
    try {
      const result = await next(args);
      metrics.awsCalled(operation, 'ok', (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      metrics.awsCalled(operation, 'error', (performance.now() - started) / 1000);
      throw error;
    }
  };
  client.middlewareStack.add(timer as never, { step: 'initialize', name: 'fleetManagerCallTimer' });
  return client;
}
