import { MAX_SERVER_CAPACITY } from '../config/max-server-capacity';

/** The game server's answer on GET /health/, the contract of the deployed game servers. */
export interface HealthReport {
  readonly availableCapacity: number;
  readonly readyToClose: boolean;
}

/**
 * What a probe found. `unsent`: the probe never left the manager, for want of its own resources
 * (descriptors, ports, memory): that says nothing of the server, and must never count against it.
 */
export type ProbeResult =
  | { readonly ok: true; readonly report: HealthReport }
  | { readonly ok: false; readonly error: string; readonly unsent?: true };

/** Accepts exactly `{"available_capacity": <int 0..MAX>, "ready_to_close": <bool>}` (more keys are fine). */
export function parseHealthReport(body: string): ProbeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, error: 'health answer is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, error: 'health answer is not a JSON object' };
  }
  const { available_capacity: capacity, ready_to_close: readyToClose } = parsed as Record<string, unknown>;
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 0 || capacity > MAX_SERVER_CAPACITY) {
    return { ok: false, error: `available_capacity ${JSON.stringify(capacity)} is not a whole number from 0 to ${MAX_SERVER_CAPACITY}` };
  }
  if (typeof readyToClose !== 'boolean') {
    return { ok: false, error: `ready_to_close ${JSON.stringify(readyToClose)} is not a boolean` };
  }
  return { ok: true, report: { availableCapacity: capacity, readyToClose } };
}
