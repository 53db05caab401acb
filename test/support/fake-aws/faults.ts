import { FaultKind } from './aws-errors';

/** `StartTask` and `StartTaskCommand` name the same operation. */
export function operationName(operation: string): string {
  return operation.replace(/Command$/, '');
}

interface PendingFault {
  readonly kind: FaultKind;
  remaining: number;
}

/** Failures a test asked for, handed out in the order they were asked for. */
export class Faults {
  private readonly byOperation = new Map<string, PendingFault[]>();
  private capacityFailures: { reason: string; remaining: number }[] = [];

  failNext(operation: string, times: number, kind: FaultKind): void {
    const name = operationName(operation);
    const queue = this.byOperation.get(name) ?? [];
    queue.push({ kind, remaining: times });
    this.byOperation.set(name, queue);
  }

  /** The failure the next call of `operation` must end with, if any. */
  take(operation: string): FaultKind | undefined {
    const queue = this.byOperation.get(operation);
    const next = queue?.[0];
    if (!queue || !next) return undefined;
    if (--next.remaining <= 0) queue.shift();
    return next.kind;
  }

  failStartTask(times: number, reason: string): void {
    this.capacityFailures.push({ reason, remaining: times });
  }

  /** The reason the next StartTask/RunTask must answer with in failures[], if any. */
  takeCapacityFailure(): string | undefined {
    const next = this.capacityFailures[0];
    if (!next) return undefined;
    if (--next.remaining <= 0) this.capacityFailures.shift();
    return next.reason;
  }
}
