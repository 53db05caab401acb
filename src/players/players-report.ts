import { PlayerOutcome } from './player';

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** What a load run saw, from the players' side. */
export interface PlayersReport {
  readonly players: number;
  readonly connected: number;
  /** The manager gave no server: an error status, no address, or no answer in time. */
  readonly failedAllocations: number;
  /** The manager gave an address, but the WebSocket to it did not open. */
  readonly failedConnections: number;
  /** Connected, then closed by the server before the session ended. */
  readonly dropped: number;
  /** Still asking or connecting when the run was told to stop: neither served nor failed. */
  readonly stopped: number;
  /** Distinct game servers the manager handed out. */
  readonly servers: number;
  /** From asking the manager to its answer, in ms. */
  readonly allocationMs?: Percentiles;
  /** From asking the manager to the WebSocket being open: a player's wait, in ms. */
  readonly connectMs?: Percentiles;
  /** Failure reasons and how often each happened. */
  readonly failures: Readonly<Record<string, number>>;
  readonly seconds: number;
}

export function summarize(outcomes: readonly PlayerOutcome[], seconds: number): PlayersReport {
  const failures: Record<string, number> = {};
  const count = (reason: string) => (failures[reason] = (failures[reason] ?? 0) + 1);
  const allocationTimes: number[] = [];
  const connectTimes: number[] = [];
  const servers = new Set<string>();
  let dropped = 0;
  for (const outcome of outcomes) {
    if (outcome.kind === 'stopped') continue;
    if (outcome.kind === 'allocation-failed') {
      count(`allocation: ${outcome.reason}`);
      continue;
    }
    servers.add(outcome.address);
    allocationTimes.push(outcome.allocationMs);
    if (outcome.kind === 'connection-failed') count(`connection to ${outcome.address}: ${outcome.reason}`);
    else {
      connectTimes.push(outcome.connectMs);
      if (outcome.dropped) dropped += 1;
    }
  }
  return {
    players: outcomes.length,
    connected: connectTimes.length,
    failedAllocations: outcomes.filter((o) => o.kind === 'allocation-failed').length,
    failedConnections: outcomes.filter((o) => o.kind === 'connection-failed').length,
    dropped,
    stopped: outcomes.filter((o) => o.kind === 'stopped').length,
    servers: servers.size,
    allocationMs: percentiles(allocationTimes),
    connectMs: percentiles(connectTimes),
    failures,
    seconds,
  };
}

/** Nearest-rank percentiles; none for no values. */
export function percentiles(values: readonly number[]): Percentiles | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  return { p50: rank(50), p99: rank(99), max: sorted[sorted.length - 1] };
}

export function reportText(report: PlayersReport): string {
  const times = (p?: Percentiles) => (p ? `p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, max ${p.max.toFixed(1)} ms` : 'none');
  const lines = [
    `players              ${report.players} in ${report.seconds.toFixed(1)} s, ${report.connected} connected to ${report.servers} game servers`,
    `failed allocations   ${report.failedAllocations}`,
    `failed connections   ${report.failedConnections}`,
    `dropped by server    ${report.dropped}`,
    ...(report.stopped > 0 ? [`stopped early        ${report.stopped}  (still asking or connecting when told to stop)`] : []),
    `allocation time      ${times(report.allocationMs)}`,
    `connection time      ${times(report.connectMs)}  (from asking the manager to the WebSocket open)`,
  ];
  const reasons = Object.entries(report.failures).sort((a, b) => b[1] - a[1]);
  if (reasons.length > 0) lines.push('failures:', ...reasons.slice(0, 10).map(([reason, n]) => `  ${n} x ${reason}`));
  return lines.join('\n');
}
