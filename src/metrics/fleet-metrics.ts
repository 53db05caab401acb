import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Settings } from '../config/settings';
import { SERVER_STATES, ServerState } from '../domain/server-state';
import { AllocationOutcome, CLIENT_LIMITS, ClientLimit } from '../domain/allocation-outcome';
import { PolicySettings } from '../domain/fleet-snapshot';
import { HeldMargins, MarginEstimate } from '../domain/margins';
import { ActionOrigin, ScalingActionKind } from '../domain/scaling-action';

export const METRIC_PREFIX = 'fleet_manager_';

/** The policy's settings exported as gauges, as they stand at each pass. */
const POLICY_FIGURES = ['upscaleMargin', 'downscaleMargin', 'serverCapacity', 'minServers', 'maxServers'] as const;
type PolicyFigure = (typeof POLICY_FIGURES)[number];

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
  /**
   * Allocations since the counter was last read, by outcome (and limit): plain numbers on the hot
   * path, added to the counter when it is read, since prom-client hashes the labels of every inc.
   */
  private readonly uncountedAllocations = new Map<string, { readonly labels: { outcome: string; limit?: ClientLimit }; count: number }>();
  private readonly allocations = new Counter({
    name: `${METRIC_PREFIX}allocations_total`,
    help: 'Requests of game clients for a place, by outcome (server, backup, none: no room, limited: over the client\'s limit, named in limit, standby)',
    labelNames: ['outcome', 'limit'] as const,
    registers: [this.registry],
    collect: () => {
      for (const uncounted of this.uncountedAllocations.values()) {
        if (uncounted.count === 0) continue;
        this.allocations.inc(uncounted.labels, uncounted.count);
        uncounted.count = 0;
      }
    },
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
  private readonly probesNotSent = new Counter({
    name: `${METRIC_PREFIX}probes_unsent_total`,
    help: "Health probes the manager could not send for want of its own descriptors, ports or memory; counted against no server",
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
  private policyGauge(name: string, help: string): Gauge {
    return new Gauge({ name: `${METRIC_PREFIX}${name}`, help, registers: [this.registry] });
  }

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
  private readonly reservedPlaces = new Gauge({
    name: `${METRIC_PREFIX}reserved_places`,
    help: 'Places handed out that no player has taken yet (they count against the free capacity until taken or RESERVATION_TIMEOUT), at the last pass',
    registers: [this.registry],
  });
  private readonly launchReady = new Histogram({
    name: `${METRIC_PREFIX}launch_ready_seconds`,
    help: 'Time from a launch to the server\'s first healthy probe (what the adaptive margin looks ahead by)',
    buckets: [1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600],
    registers: [this.registry],
  });
  private readonly awsCallSeconds = new Histogram({
    name: `${METRIC_PREFIX}aws_call_duration_seconds`,
    help: 'AWS calls (ECS, EC2, the lease\'s DynamoDB) by operation and outcome, with the SDK\'s retries: the time the caller waited',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly policyFigures: Record<PolicyFigure, Gauge> = {
    upscaleMargin: this.policyGauge('upscale_margin', 'UPSCALE_MARGIN, as set now (also at run time): capacity is added below this many free places'),
    downscaleMargin: this.policyGauge('downscale_margin', 'DOWNSCALE_MARGIN, as set now: a server drains above this many free places'),
    serverCapacity: this.policyGauge('server_capacity', 'SERVER_CAPACITY, as set now: places of one game server'),
    minServers: this.policyGauge('min_servers', 'MIN_SERVERS, as set now'),
    maxServers: this.policyGauge('max_servers', 'MAX_SERVERS, as set now: the fleet never grows past it'),
  };
  private readonly renewalFailures = new Counter({
    name: `${METRIC_PREFIX}lease_renewal_failures_total`,
    help: 'Renewals of the leader lease that failed (the store did not answer, or another manager holds the lease)',
    registers: [this.registry],
  });

  constructor(settings: Settings) {
    this.policyHeld({ upscaleMargin: settings.UPSCALE_MARGIN, downscaleMargin: settings.DOWNSCALE_MARGIN, serverCapacity: settings.SERVER_CAPACITY, minServers: settings.MIN_SERVERS, maxServers: settings.MAX_SERVERS });
    for (const state of SERVER_STATES) this.servers.set({ state }, 0);
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  fleetCounted(byState: Readonly<Record<ServerState, number>>, freeCapacity: number, reserved: number): void {
    for (const state of SERVER_STATES) this.servers.set({ state }, byState[state]);
    this.freeCapacity.set(freeCapacity);
    this.reservedPlaces.set(reserved);
  }

  /** The policy's settings of this pass: the operator API may have changed them since start-up. */
  policyHeld(policy: Pick<PolicySettings, PolicyFigure>): void {
    for (const figure of POLICY_FIGURES) this.policyFigures[figure].set(policy[figure]);
  }

  launchedReady(seconds: number): void {
    this.launchReady.observe(seconds);
  }

  awsCalled(operation: string, outcome: 'ok' | 'error', seconds: number): void {
    this.awsCallSeconds.observe({ operation, outcome }, seconds);
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
    this.countAllocation(outcome);
    this.allocationSeconds.observe(seconds);
  }

  /** A request over its client's limit: counted among the outcomes, but it chose and reserved nothing, so it takes no time in the histogram. */
  allocationLimited(limit: ClientLimit): void {
    this.countAllocation('limited', limit);
  }

  private countAllocation(outcome: AllocationOutcome['kind'], limit?: ClientLimit): void {
    const key = limit ?? outcome;
    const uncounted = this.uncountedAllocations.get(key);
    if (uncounted) uncounted.count += 1;
    else this.uncountedAllocations.set(key, { labels: limit ? { outcome, limit } : { outcome }, count: 1 });
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

  probesUnsent(count: number): void {
    if (count > 0) this.probesNotSent.inc(count);
  }
}
