import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Settings } from '../config/settings';
import { SERVER_STATES, ServerState } from '../domain/server-state';
import { AllocationOutcome, CLIENT_LIMITS, ClientLimit } from '../domain/allocation-outcome';
import { HeldMargins, MarginEstimate } from '../domain/margins';
import { ActionOrigin, ScalingActionKind } from '../domain/scaling-action';

export const METRIC_PREFIX = 'fleet_manager_';

/**
 * Every metric the manager exports, on a registry of its own (not prom-client's global one), so
 * that several managers in one process (tests) never share counters.
 */
@Injectable()
export class FleetMetrics {
  readonly registry = new Registry();

  private readonly servers = new Gauge({
    name: `${METRIC_PREFIX}servers`,
    help: 'Game servers by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  private readonly freeCapacity = new Gauge({
    name: `${METRIC_PREFIX}free_capacity`,
    help: 'Free places the policy counted in the last pass, after its actions: ready servers less reservations, plus launching servers, less players turned away',
    registers: [this.registry],
  });
  private readonly allocations = new Counter({
    name: `${METRIC_PREFIX}allocations_total`,
    help: 'Requests of game clients for a place, by outcome (server, backup, none: no room, limited: over the client\'s limit, named in limit, standby)',
    labelNames: ['outcome', 'limit'] as const,
    registers: [this.registry],
  });
  private readonly allocationSeconds = new Histogram({
    name: `${METRIC_PREFIX}allocation_duration_seconds`,
    help: 'Time to choose and reserve a place',
    buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05],
    registers: [this.registry],
  });
  private readonly passSeconds = new Histogram({
    name: `${METRIC_PREFIX}reconcile_pass_duration_seconds`,
    help: 'Duration of a reconcile pass (probes and decision; actions run on afterwards)',
    buckets: [0.005, 0.01, 0.05, 0.1, 0.3, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  private readonly actions = new Counter({
    name: `${METRIC_PREFIX}scaling_actions_total`,
    help: 'Scaling actions started, by kind (a launch of n servers counts n)',
    labelNames: ['kind', 'origin'] as const,
    registers: [this.registry],
  });
  private readonly platformCalls = new Counter({
    name: `${METRIC_PREFIX}platform_calls_total`,
    help: 'Calls to the platform, by operation',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });
  private readonly platformErrors = new Counter({
    name: `${METRIC_PREFIX}platform_errors_total`,
    help: 'Failed calls to the platform, by operation',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });
  private readonly probeFailures = new Counter({
    name: `${METRIC_PREFIX}probe_failures_total`,
    help: 'Health probes of servers that had been healthy and then failed (no answer, bad status, bad body)',
    registers: [this.registry],
  });

  private readonly effectiveUpscale = new Gauge({
    name: `${METRIC_PREFIX}effective_upscale_margin`,
    help: 'The upscale margin the last pass held: UPSCALE_MARGIN, or in MARGIN_MODE=adaptive the margin the demand needs (never below UPSCALE_MARGIN)',
    registers: [this.registry],
  });
  private readonly effectiveDownscale = new Gauge({
    name: `${METRIC_PREFIX}effective_downscale_margin`,
    help: 'The downscale margin the last pass held: DOWNSCALE_MARGIN, moved up with the adaptive margin',
    registers: [this.registry],
  });
  private readonly adaptiveEstimate = new Gauge({
    name: `${METRIC_PREFIX}adaptive_margin_estimate`,
    help: 'The adaptive estimate of the last pass (also in fixed mode): the margin, the expected growth of demand and the room for its noise over the horizon (places), the boot time counted on (seconds)',
    labelNames: ['figure'] as const,
    registers: [this.registry],
  });

  private readonly probeOutageGauge = new Gauge({
    name: `${METRIC_PREFIX}probe_outage`,
    help: '1 while so many servers that were healthy fail their probes at once (PROBE_OUTAGE_THRESHOLD) that the manager suspects itself and stops, launches and drains nothing for it; else 0',
    registers: [this.registry],
  });
  private readonly probeOutageFailing = new Gauge({
    name: `${METRIC_PREFIX}probe_outage_failing_servers`,
    help: 'Servers failing their probes during a probe outage; 0 outside one',
    registers: [this.registry],
  });

  private readonly unadopted = new Gauge({
    name: `${METRIC_PREFIX}unadopted_tasks`,
    help: 'RUNNING tasks of the game server family that the last discovery could not resolve to an address (no game port): left alone, neither adopted nor stopped',
    registers: [this.registry],
  });

  private readonly leaderGauge = new Gauge({
    name: `${METRIC_PREFIX}leader`,
    help: '1 while this manager holds the leader lease and may act on the fleet; 0 for a standby',
    registers: [this.registry],
  });
  private readonly takeovers = new Counter({
    name: `${METRIC_PREFIX}lease_takeovers_total`,
    help: 'Times this manager became the leader, by how: the lease was free (released or never held), expired (its holder stopped renewing it), or own (its own lease, kept through a spell of failed renewals)',
    labelNames: ['from'] as const,
    registers: [this.registry],
  });
  private readonly leaderless = new Histogram({
    name: `${METRIC_PREFIX}leaderless_seconds`,
    help: 'At each takeover: seconds from the last sign of a leader (its last renewal seen, or the lease seen released) to this manager acting',
    buckets: [0.5, 1, 2, 5, 10, 15, 20, 30, 60],
    registers: [this.registry],
  });
  private readonly ticketsRefused = new Counter({
    name: `${METRIC_PREFIX}client_tickets_refused_total`,
    help: 'Requests of game clients refused for their ticket (CLIENT_TICKET_SECRET), by reason: missing, malformed, forged, expired',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readClientLimitPeaks?: () => Record<ClientLimit, number>;
  private readonly clientLimitPeaks = new Gauge({
    name: `${METRIC_PREFIX}client_limit_peak_ratio`,
    help: 'The share of each limit per client address (CLIENT_ALLOCATIONS_PER_MINUTE, CLIENT_RESERVED_PLACES) used by the client nearest it: 1 is cut off',
    labelNames: ['limit'] as const,
    registers: [this.registry],
    // Read at the scrape: the clients nearest their limits change with every request.
    collect: () => {
      const peaks = this.readClientLimitPeaks?.();
      for (const limit of CLIENT_LIMITS) this.clientLimitPeaks.set({ limit }, peaks?.[limit] ?? 0);
    },
  });
  private readonly renewalFailures = new Counter({
    name: `${METRIC_PREFIX}lease_renewal_failures_total`,
    help: 'Renewals of the leader lease that failed (the store did not answer, or another manager holds the lease)',
    registers: [this.registry],
  });

  constructor(settings: Settings) {
    const margin = (name: string, help: string, value: number) =>
      new Gauge({ name: `${METRIC_PREFIX}${name}`, help, registers: [this.registry] }).set(value);
    margin('upscale_margin', 'UPSCALE_MARGIN: capacity is added below this many free places', settings.UPSCALE_MARGIN);
    margin('downscale_margin', 'DOWNSCALE_MARGIN: a server drains above this many free places', settings.DOWNSCALE_MARGIN);
    margin('server_capacity', 'SERVER_CAPACITY: places of one game server', settings.SERVER_CAPACITY);
    for (const state of SERVER_STATES) this.servers.set({ state }, 0);
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  fleetCounted(byState: Readonly<Record<ServerState, number>>, freeCapacity: number): void {
    for (const state of SERVER_STATES) this.servers.set({ state }, byState[state]);
    this.freeCapacity.set(freeCapacity);
  }

  marginsHeld({ upscaleMargin, downscaleMargin, estimate }: HeldMargins & { readonly estimate: MarginEstimate }): void {
    this.effectiveUpscale.set(upscaleMargin);
    this.effectiveDownscale.set(downscaleMargin);
    this.adaptiveEstimate.set({ figure: 'margin' }, estimate.upscaleMargin);
    this.adaptiveEstimate.set({ figure: 'growth' }, estimate.growth);
    this.adaptiveEstimate.set({ figure: 'noise' }, estimate.noise);
    this.adaptiveEstimate.set({ figure: 'boot_seconds' }, estimate.bootMs / 1000);
  }

  allocated(outcome: AllocationOutcome['kind'], seconds: number): void {
    this.allocations.inc({ outcome });
    this.allocationSeconds.observe(seconds);
  }

  /** A request over its client's limit: counted among the outcomes, but it chose and reserved nothing, so it takes no time in the histogram. */
  allocationLimited(limit: ClientLimit): void {
    this.allocations.inc({ outcome: 'limited', limit });
  }

  ticketRefused(reason: string): void {
    this.ticketsRefused.inc({ reason });
  }

  /** Where the share of each limit used by the client address nearest it is read at each scrape. */
  watchClientLimits(peakShares: () => Record<ClientLimit, number>): void {
    this.readClientLimitPeaks = peakShares;
  }

  passFinished(seconds: number): void {
    this.passSeconds.observe(seconds);
  }

  actionStarted(kind: ScalingActionKind, origin: ActionOrigin, count = 1): void {
    this.actions.inc({ kind, origin }, count);
  }

  platformCalled(operation: string, failed: boolean): void {
    this.platformCalls.inc({ operation });
    if (failed) this.platformErrors.inc({ operation });
  }

  /** Failing servers of a probe outage the last pass found, or undefined if it found none. */
  probeOutage(outage: { readonly failing: number } | undefined): void {
    this.probeOutageGauge.set(outage ? 1 : 0);
    this.probeOutageFailing.set(outage?.failing ?? 0);
  }

  unadoptedTasks(count: number): void {
    this.unadopted.set(count);
  }

  leading(leader: boolean): void {
    this.leaderGauge.set(leader ? 1 : 0);
  }

  tookOver(from: 'free' | 'expired' | 'own', leaderlessSeconds: number | undefined): void {
    this.takeovers.inc({ from });
    if (leaderlessSeconds !== undefined) this.leaderless.observe(leaderlessSeconds);
  }

  leaseRenewalFailed(): void {
    this.renewalFailures.inc();
  }

  probesFailed(count: number): void {
    if (count > 0) this.probeFailures.inc(count);
  }
}
