import { operationName } from './faults';

export interface RecordedCall {
  /** The operation without the `Command` suffix, e.g. `StartTask`. */
  readonly operation: string;
  readonly input: unknown;
  readonly at: Date;
  /**
   * Which attempt of the SDK this was (1 the first, 2 its first retry...), from its `amz-sdk-request`
   * header: known only for calls that came over HTTP, through the SDK's retry middleware.
   */
  readonly attempt?: number;
}

/** Every call the fake received, failed ones included, in order. */
export class CallLog {
  private readonly recorded: RecordedCall[] = [];

  record(operation: string, input: unknown, attempt?: number): void {
    this.recorded.push({ operation, input: structuredClone(input), at: new Date(), ...(attempt === undefined ? {} : { attempt }) });
  }

  calls(operation?: string): RecordedCall[] {
    if (operation === undefined) return [...this.recorded];
    const name = operationName(operation);
    return this.recorded.filter((call) => call.operation === name);
  }
}
