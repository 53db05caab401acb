import { operationName } from './faults';

export interface RecordedCall {
  /** The operation without the `Command` suffix, e.g. `StartTask`. */
  readonly operation: string;
  readonly input: unknown;
  readonly at: Date;
}

/** Every call the fake received, failed ones included, in order. */
export class CallLog {
  private readonly recorded: RecordedCall[] = [];

  record(operation: string, input: unknown): void {
    this.recorded.push({ operation, input: structuredClone(input), at: new Date() });
  }

  calls(operation?: string): RecordedCall[] {
    if (operation === undefined) return [...this.recorded];
    const name = operationName(operation);
    return this.recorded.filter((call) => call.operation === name);
  }
}
