import { MarginMode } from '../config/settings';
import { LaunchFailures, PolicySettings } from '../domain/fleet-snapshot';
import { CapacityFloor, CapacityWindow } from '../config/capacity-schedule';
import { AdaptiveMargin, passSettings } from '../scaling/adaptive-margin';
import { scheduledFloor, scheduleLeadMs } from '../scaling/scheduled-floor';
import { passGapMs } from '../scaling/pass-gap';
import { bootPriorMs } from '../scaling/launch-times';
import { ScalingAction } from '../domain/scaling-action';
import { DemandCurve } from './clairvoyant-bound';
import { Demand, MINUTE_MS, planDemand } from './demand';
import { FleetMeter } from './fleet-meter';
import { MinHeap } from './min-heap';
import { Random } from './random';
import { CURRENT_POLICY, SimulatedPolicy } from './scaling-policies';
import { SimulatedFleet, SimulatedServer } from './simulated-fleet';
import { SimulationReport } from './simulation-report';
import { Timeline, TimelineSample } from './timeline';
import { Trace } from './trace';

/** How long a launched server takes to answer its health endpoint: uniform between the two. */
export interface BootTime {
  readonly minSeconds: number;
  readonly maxSeconds: number;
}

/** ECS with the EC2 launch type: an instance boots, joins the cluster, then the task starts. */
export const ECS_EC2_BOOT: BootTime = { minSeconds: 60, maxSeconds: 180 };

export interface SimulationConfig {
  readonly settings: PolicySettings;
  readonly sleepTimeSeconds: number;
  readonly boot: BootTime;
  readonly seed: number;
  /** The manager's policy unless told otherwise. */
  readonly policy?: SimulatedPolicy;
  /** fixed unless told otherwise. */
  readonly marginMode?: MarginMode;
  /** Windows of scheduled capacity (CAPACITY_SCHEDULE), on the clock that starts at startAt. */
  readonly schedule?: readonly CapacityWindow[];
  /** The wall-clock time of the trace's minute 0, for the schedule: SIMULATION_START unless told otherwise. */
  readonly startAt?: number;
}

/** Minute 0 of a trace, unless told otherwise: a Monday at midnight UTC, as the bundled traces begin at midnight. */
export const SIMULATION_START = Date.parse('2026-01-05T00:00:00Z');

/** The simulated servers boot like ECS on EC2, so the adaptive margin starts from that platform's prior. */
const SIMULATED_BOOT_PRIOR_MS = bootPriorMs('ecs', 'EC2');

export interface SimulationResult {
  readonly report: SimulationReport;
  readonly timeline: readonly TimelineSample[];
  readonly timelinePeriodMs: number;
}

/** The policy did something the manager must never do; the run is void. */
export class SimulationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulationError';
  }
}

/** Runs a trace against a policy on simulated time. Pure: the same trace and config give the same result. */
export function simulate(trace: Trace, config: SimulationConfig): SimulationResult {
  return new Simulation(trace, config).run();
}

interface Counters {
  failedAllocations: number;
  launches: number;
  drains: number;
  reactivations: number;
  stops: number;
  launchTimeouts: number;
  playersCutOff: number;
  passes: number;
}

/**
 * A discrete-event loop over three sources: players leaving (a heap), players arriving (sorted up
 * front) and reconcile passes. Between two events nothing changes, so the meter integrates the
 * fleet over the gap exactly, and a simulated day takes as many steps as it has events.
 */
class Simulation {
  private readonly policy: SimulatedPolicy;
  private readonly settings: PolicySettings;
  /** What the last pass decided with: the configured settings, or the adaptive margins over them. */
  private passSettings: PolicySettings;
  private readonly adaptive?: AdaptiveMargin;
  private readonly fleet: SimulatedFleet;
  private readonly demand: Demand;
  private readonly boots: Random;
  private readonly departures = new MinHeap<SimulatedServer>();
  private readonly meter: FleetMeter;
  private readonly timeline: Timeline;
  private readonly endAt: number;
  private readonly passGapMs: number;
  private readonly counters: Counters = {
    failedAllocations: 0,
    launches: 0,
    drains: 0,
    reactivations: 0,
    stops: 0,
    launchTimeouts: 0,
    playersCutOff: 0,
    passes: 0,
  };
  private launchFailures: LaunchFailures = { consecutive: 0 };
  /** Players who found no room since the last pass, as FleetRegistry counts them for the policy. */
  private turnedAwaySincePass = 0;
  private nextPassAt = 0;
  /** The legacy loop waits for its launch: no pass before this. */
  private blockedUntil = 0;

  constructor(
    private readonly trace: Trace,
    private readonly config: SimulationConfig,
  ) {
    const { boot, sleepTimeSeconds } = config;
    if (!(boot.minSeconds >= 0 && boot.maxSeconds >= boot.minSeconds)) throw new RangeError(`boot time must be 0 <= min <= max, got ${boot.minSeconds}-${boot.maxSeconds} s`);
    if (!(sleepTimeSeconds >= 0)) throw new RangeError(`SLEEP_TIME must be >= 0, got ${sleepTimeSeconds}`);
    this.policy = config.policy ?? CURRENT_POLICY;
    this.settings = config.settings;
    this.passSettings = config.settings;
    // The schedule needs the boot time too: it reaches its floor a boot before each window.
    if (config.marginMode === 'adaptive' || config.schedule?.length) this.adaptive = new AdaptiveMargin(SIMULATED_BOOT_PRIOR_MS);
    this.fleet = new SimulatedFleet(this.settings.serverCapacity);
    this.demand = planDemand(trace, config.seed);
    this.boots = Random.stream(config.seed, 'boot');
    this.meter = new FleetMeter(this.settings.upscaleMargin);
    this.endAt = trace.durationMinutes * MINUTE_MS;
    this.timeline = new Timeline(this.endAt);
    this.passGapMs = passGapMs(sleepTimeSeconds);
  }

  run(): SimulationResult {
    this.startFleet();
    const arrivals = this.demand.arrivals;
    let nextArrival = 0;
    let now = 0;
    this.meter.observe(now, this.fleet.census());

    for (;;) {
      const arrivalAt = nextArrival < arrivals.length ? arrivals[nextArrival].arriveAt : Infinity;
      const departureAt = this.departures.peekTime();
      const next = Math.min(arrivalAt, departureAt, this.nextPassAt, this.endAt);
      const census = this.fleet.census();
      this.meter.steady(now, next, census);
      this.timeline.steadyUntil(next, census, this.passSettings.upscaleMargin);
      now = next;
      if (now >= this.endAt) break;

      // At equal times: players leave, then arrive, then the pass sees them all, as its probes would.
      if (departureAt === now) {
        const server = this.departures.pop() as SimulatedServer;
        if (!server.stopped) server.players -= 1;
      } else if (arrivalAt === now) {
        this.arrive(arrivals[nextArrival++].sessionMs, now);
      } else {
        this.pass(now);
      }
      this.meter.observe(now, this.fleet.census());
    }

    const curve = new DemandCurve(this.demand);
    const capacity = this.settings.serverCapacity;
    return {
      report: { ...this.report(), boundServerHours: curve.boundServerHours(capacity, this.endAt) },
      timeline: this.timeline.result().map((sample) => ({ ...sample, boundServers: Math.ceil(curve.playersAt(sample.at) / capacity) })),
      timelinePeriodMs: this.timeline.periodMs,
    };
  }

  /** Enough ready servers for the players already playing plus the margin, as a manager that kept up would have. */
  private startFleet(): void {
    const { startPlayersRemainingMs } = this.demand;
    const needed = Math.ceil((startPlayersRemainingMs.length + this.settings.upscaleMargin) / this.settings.serverCapacity);
    for (let i = 0; i < Math.max(1, this.settings.minServers, needed); i++) this.fleet.addReady(0);
    for (const remainingMs of startPlayersRemainingMs) this.departures.push(remainingMs, this.fleet.allocate() as SimulatedServer);
  }

  private arrive(sessionMs: number, now: number): void {
    const server = this.fleet.allocate();
    if (server) {
      this.departures.push(now + sessionMs, server);
    } else {
      this.adaptive?.demand.turnedAway(now);
      this.counters.failedAllocations += 1;
      this.turnedAwaySincePass += 1;
      this.timeline.failedAt(now);
    }
    if (!this.policy.passOnShortage) return;
    // AllocationService's rule: out of room, or leaving too little, asks for a pass at once.
    const census = this.fleet.census();
    if (!server || census.free + census.launching * this.settings.serverCapacity < this.passSettings.upscaleMargin) {
      if (now >= this.blockedUntil) this.nextPassAt = Math.min(this.nextPassAt, now);
    }
  }

  private pass(now: number): void {
    this.counters.passes += 1;
    // A launch seen healthy ends a run of launch failures, as in Reconciler.probeAll.
    const cameUp = this.fleet.probe(now);
    if (cameUp.length > 0) this.launchFailures = { consecutive: 0 };
    for (const server of cameUp) this.adaptive?.launchTimes.record(now - server.launchedAt);
    const snapshot = { now, servers: this.fleet.snapshot(), launchFailures: this.launchFailures, unmetDemand: this.turnedAwaySincePass };
    this.turnedAwaySincePass = 0;
    this.passSettings = this.adaptive ? this.heldSettings(this.adaptive, now) : this.settings;
    for (const action of this.policy.decide(snapshot, this.passSettings)) this.apply(action, now);
    this.nextPassAt = Math.max(now, this.blockedUntil) + this.passGapMs;
  }

  /** As the Reconciler holds them: the adaptive margins in adaptive mode, raised to the schedule's floor. */
  private heldSettings(adaptive: AdaptiveMargin, now: number): PolicySettings {
    const estimate = adaptive.estimate(now, this.fleet.census().players, this.settings, this.passGapMs);
    const slowest = adaptive.slowestBootMs();
    const lead = (floor: CapacityFloor) => scheduleLeadMs(floor, slowest, this.passGapMs, this.settings);
    const floor = scheduledFloor(this.config.schedule ?? [], (this.config.startAt ?? SIMULATION_START) + now, lead);
    return passSettings(this.config.marginMode ?? 'fixed', this.settings, estimate, floor);
  }

  private apply(action: ScalingAction, now: number): void {
    if (action.kind === 'launch') {
      for (let i = 0; i < action.count; i++) {
        const server = this.fleet.launch(now, Math.round(this.boots.uniform(this.config.boot.minSeconds, this.config.boot.maxSeconds) * 1000));
        if (this.policy.launchBlocksLoop) this.blockedUntil = Math.max(this.blockedUntil, server.upAt);
      }
      this.counters.launches += action.count;
      return;
    }
    const server = this.fleet.get(action.serverId);
    if (!server) throw new SimulationError(`the policy acted on ${action.serverId}, which is not in the fleet: ${JSON.stringify(action)}`);
    switch (action.kind) {
      case 'drain':
        this.counters.drains += 1;
        return this.fleet.setDraining(server, true, now);
      case 'reactivate':
        this.counters.reactivations += 1;
        return this.fleet.setDraining(server, false, now);
      case 'stop':
        return this.stop(server, action.reason, now);
    }
  }

  private stop(server: SimulatedServer, reason: string, now: number): void {
    if (server.players > 0) {
      // Only a configured DRAIN_TIMEOUT may cut players off; anything else is a policy bug.
      if (reason !== 'drain-timeout') {
        throw new SimulationError(`at ${(now / 1000).toFixed(1)} s the policy stopped ${server.id} (reason ${reason}) with ${server.players} players on it`);
      }
      this.counters.playersCutOff += server.players;
    }
    if (reason === 'launch-timeout') {
      this.counters.launchTimeouts += 1;
      this.launchFailures = { consecutive: this.launchFailures.consecutive + 1, lastAt: now };
    }
    this.counters.stops += 1;
    this.fleet.remove(server);
  }

  private report(): Omit<SimulationReport, 'boundServerHours'> {
    const { passes, ...counters } = this.counters;
    return {
      trace: this.trace.name,
      policy: this.policy.name,
      marginMode: this.config.marginMode ?? 'fixed',
      seed: this.config.seed,
      simulatedHours: this.endAt / 3_600_000,
      players: this.demand.arrivals.length,
      ...counters,
      ...this.meter.finish(this.endAt),
      passes,
    };
  }
}
