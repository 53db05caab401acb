/** What the local platform writes to LOCAL_STATE_DIR for each game server it started. */
export interface LocalServerRecord {
  readonly id: string;
  /** 0 while the process is being started: a record left so by a crash names a process to find and end. */
  readonly pid: number;
  /** The kernel's start time of the process, so that a recycled pid is not mistaken for our server. */
  readonly processStartTime?: string;
  readonly port: number;
  readonly capacity: number;
  readonly command: string;
  readonly startedAt: string;
  readonly draining: boolean;
  /** When draining began (ISO 8601); records of earlier managers have none. */
  readonly drainingSince?: string;
}

export function isLocalServerRecord(value: unknown): value is LocalServerRecord {
  const v = value as Partial<LocalServerRecord> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    Number.isInteger(v.pid) &&
    Number.isInteger(v.port) &&
    typeof v.draining === 'boolean'
  );
}
