/** The game server's answer on GET /health/, the contract of the deployed game servers. */
export interface HealthReport {
  readonly availableCapacity: number;
  readonly readyToClose: boolean;
}

export type ProbeResult = { readonly ok: true; readonly report: HealthReport } | { readonly ok: false; readonly error: string };

/** No game server has more places than this; a larger figure is a broken server, not a big one. */
export const MAX_REPORTED_CAPACITY = 100_000;

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
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 0 || capacity > MAX_REPORTED_CAPACITY) {
    return { ok: false, error: `available_capacity ${JSON.stringify(capacity)} is not a whole number from 0 to ${MAX_REPORTED_CAPACITY}` };
  }
  if (typeof readyToClose !== 'boolean') {
    return { ok: false, error: `ready_to_close ${JSON.stringify(readyToClose)} is not a boolean` };
  }
  return { ok: true, report: { availableCapacity: capacity, readyToClose } };
}
