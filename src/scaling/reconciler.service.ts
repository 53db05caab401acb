import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DemandCounts, FleetRegistry } from '../fleet/fleet.registry';
import { GameServer } from '../fleet/game-server';
import { HealthProber } from '../fleet/health-prober';
import { ProbeResult } from '../fleet/health-report';
import { countByState, isUp } from '../domain/server-state';
import { FleetMetrics } from '../metrics/fleet-metrics';
import { GAME_SERVER_PLATFORM, GameServerPlatform, ServerRef } from '../platform/game-server-platform';
import { decisionKey, DecisionRecord, OperatorAction } from './decision-record';
import { HeldMargins, MarginEstimate } from '../domain/margins';
import { Settings } from '../config/settings';
import { AdaptiveMargin, passSettings, placesInUse } from './adaptive-margin';
import { passGapMs } from './pass-gap';
import { DemandRecord } from './demand-record';
import { FleetHistory } from './fleet-history';
import { LaunchWatch } from './launch-watch';
import { scheduledFloor, scheduleLeadMs } from './scheduled-floor';
import { LaunchFailures, ServerView } from '../domain/fleet-snapshot';
import { decideScaling } from './margin-policy';
import { PolicyTuning, TuningChange } from './policy-tuning';
import { ActionOrigin, ProbeOutage, ScalingAction, ScalingDecision } from '../domain/scaling-action';
import { messageOf } from '../domain/error-message';

/** Decisions kept for operators: the ones that did something, newest last. */
const DECISIONS_KEPT = 50;


/** What the policy saw when it chose an action, logged with the action. */
type PolicyInputs = Pick<DecisionRecord, 'serversByState' | 'launchFailures' | 'unmetDemand' | 'margins'> & { readonly freeCapacity: number };

/** A record in the making: the last one's repeats grow while passes decide the same. */
type KeptDecision = { -readonly [K in keyof DecisionRecord]: DecisionRecord[K] } & { key: string };

/**
 * One reconcile pass: probe every server, ask the policy, start the actions. Actions run in the
 * background (a launch may take minutes on ECS), so a pass takes as long as its probes and
 * allocation is served throughout. Operators' actions take the same path as the policy's.
 */
@Injectable()
export class Reconciler {
  private readonly logger = new Logger(Reconciler.name);
  private launchFailures: LaunchFailures = { consecutive: 0 };
  /** Servers whose platform launch has not resolved yet: they have no address to stop. */
  private readonly unplaced = new Set<string>();
  private readonly actionsInFlight = new Set<Promise<void>>();
  private readonly decisions: KeptDecision[] = [];
  private outage?: { readonly since: number; readonly figures: ProbeOutage };
  private outageEndedAt?: number;
  /** Since when some probes could not be sent, while they cannot. */
  private unsentSince?: number;
  private held?: HeldMargins & { readonly estimate: MarginEstimate };
  private tuningSeen = 0;
  /** Operators' actions since the last pass: the next pass is recorded with them, so the log tells who did what. */
  private operatorActions: OperatorAction[] = [];

  constructor(
    private readonly registry: FleetRegistry,
    private readonly prober: HealthProber,
    @Inject(GAME_SERVER_PLATFORM) private readonly platform: GameServerPlatform,
    private readonly tuning: PolicyTuning,
    private readonly metrics: FleetMetrics,
    private readonly adaptive: AdaptiveMargin,
    private readonly settings: Settings,
    private readonly demandRecord: DemandRecord,
    private readonly history: FleetHistory,
    private readonly launchWatch: LaunchWatch,
  ) {}

  async runPass(): Promise<ScalingDecision> {
    const started = performance.now();
    await this.probeAll();
    const now = Date.now();
    const servers = this.registry.snapshot(now);
    const { unmet: unmetDemand, ...demand } = this.registry.takeDemand();
    const { margins, settings, inUse } = this.holdMargins(now, servers, demand);
    const decision = decideScaling(
      { now, servers, launchFailures: this.launchFailures, unmetDemand, probeOutage: this.outage?.figures, probeOutageEndedAt: this.outageEndedAt },
      settings,
    );
    const serversByState = countByState(servers);
    this.metrics.fleetCounted(serversByState, decision.freeCapacity, servers.reduce((sum, server) => sum + server.reserved, 0));
    this.metrics.marginsHeld(margins);
    this.metrics.policyHeld(this.tuning.policy());
    const up = servers.filter((server) => isUp(server.state)).length;
    this.history.passed(now, {
      players: inUse,
      capacityUp: up * this.tuning.policy().serverCapacity,
      free: decision.freeCapacityBefore,
      upscaleMargin: margins.upscaleMargin,
      downscaleMargin: margins.downscaleMargin,
      serversByState,
      turnedAway: demand.turnedAway,
    });
    const seen = { serversByState, launchFailures: this.launchFailures, unmetDemand, margins };
    this.noteProbeOutage(decision.probeOutage, now);
    const settingsChanged = this.settingsChangedSinceLastPass();
    const operatorActions = this.operatorActions.length > 0 ? this.operatorActions.splice(0) : undefined;
    if (decision.actions.length > 0 || decision.heldBack || decision.probeOutage || settingsChanged || operatorActions) {
      this.remember(decision, seen, now, { settingsChanged, operatorActions });
      if (decision.heldBack) this.logger.warn({ heldBack: decision.heldBack, freeCapacity: decision.freeCapacityBefore }, `held back: ${decision.heldBack.detail}`);
    }
    const inputs: PolicyInputs = { ...seen, freeCapacity: decision.freeCapacityBefore };
    for (const action of decision.actions) this.apply(action, 'policy', inputs, now);
    this.metrics.passFinished((performance.now() - started) / 1000);
    return decision;
  }

  /** The margins the last pass held: the configured ones before the first pass, or in fixed mode. */
  heldMargins(): HeldMargins {
    return this.held ?? { mode: this.tuning.marginMode(), upscaleMargin: this.tuning.policy().upscaleMargin, downscaleMargin: this.tuning.policy().downscaleMargin };
  }

  /**
   * Feeds the pass's demand to the adaptive margin and asks its estimate, then raises the margins
   * to the schedule's floor. In fixed mode the estimate is only reported (metrics, decisions), so
   * operators can see what adaptive would hold; the schedule applies in both modes.
   */
  private holdMargins(now: number, servers: readonly ServerView[], demand: Omit<DemandCounts, 'unmet'>) {
    this.adaptive.demand.turnedAway(now, demand.turnedAway);
    this.adaptive.demand.waitsServed(now, demand.waitsServed);
    const inUse = placesInUse(servers, this.tuning.policy().serverCapacity);
    this.demandRecord.record(now, { ...demand, inUse });
    const estimate = this.adaptive.estimate(now, inUse, this.tuning.policy(), passGapMs(this.settings.SLEEP_TIME));
    const mode = this.tuning.marginMode();
    const slowest = this.adaptive.slowestBootMs();
    const floor = scheduledFloor(this.tuning.schedule(), now, (f) => scheduleLeadMs(f, slowest, passGapMs(this.settings.SLEEP_TIME), this.tuning.policy()));
    const settings = passSettings(mode, this.tuning.policy(), estimate, floor);
    const scheduled = floor.windows.length > 0 ? floor : undefined;
    this.held = { mode, upscaleMargin: settings.upscaleMargin, downscaleMargin: settings.downscaleMargin, estimate, scheduled };
    return { margins: this.held, settings, inUse };
  }

  /** Decisions that did something, oldest first. */
  recentDecisions(): DecisionRecord[] {
    return this.decisions.map(({ key: _key, ...record }) => record);
  }

  /** The probe outage the last pass found, if any, and since when it lasts. */
  probeOutage(): { readonly since: number; readonly figures: ProbeOutage } | undefined {
    return this.outage;
  }

  /** Starts an action in the background, logged with its reason and the figures behind it. */
  apply(action: ScalingAction, origin: ActionOrigin, inputs?: PolicyInputs, now = Date.now()): void {
    this.logger.log({ action, origin, inputs }, `${action.kind} ${'serverId' in action ? action.serverId : `${action.count} server(s)`}: ${action.reason}`);
    this.metrics.actionStarted(action.kind, origin, action.kind === 'launch' ? action.count : 1);
    if (origin === 'operator') this.operatorActions.push({ at: new Date(now).toISOString(), action });
    switch (action.kind) {
      case 'launch':
        this.history.launched(now, action.count);
        for (let i = 0; i < action.count; i++) this.launch(now);
        return;
      case 'drain':
      case 'reactivate':
        return this.setDraining(action.serverId, action.kind === 'drain', now);
      case 'stop':
        if (action.reason === 'launch-timeout') this.recordLaunchFailure();
        return this.stop(action.serverId);
    }
  }

  /**
   * Resolves when every action started so far has finished. Shutdown does not wait for this (a
   * launch may take minutes, and the next manager finds what it left); a test that shares its
   * process with the manager does, so that no launch outlives it.
   */
  async settle(): Promise<void> {
    while (this.actionsInFlight.size > 0) await Promise.allSettled([...this.actionsInFlight]);
  }

  private async probeAll(): Promise<void> {
    const targets = this.registry.probeTargets();
    // A launching server's failed probe is no news (it is not failing yet), and one sent before the
    // launch watch saw the server answer must not count against it once it is ready.
    const wasLaunching = targets.map((target) => !target.everHealthy);
    const results = await this.prober.probeAll(targets);
    const probedAt = Date.now();
    let failures = 0;
    const unsent: string[] = [];
    targets.forEach((target, index) => {
      const result = results[index];
      if (!result.ok && result.unsent) unsent.push(result.error);
      else if (!result.ok && wasLaunching[index]) return;
      else if (!result.ok) failures += 1;
      this.recordProbe(target, result, probedAt);
    });
    this.metrics.probesFailed(failures);
    this.noteUnsentProbes(unsent, targets.length, probedAt);
  }

  /**
   * Probes the manager could not send are its own fault (its descriptors, ports or memory ran
   * out), and the registry counts them against no server; said loudly when they begin and end.
   */
  private noteUnsentProbes(errors: readonly string[], of: number, now: number): void {
    this.metrics.probesUnsent(errors.length);
    if (errors.length > 0 && this.unsentSince === undefined) {
      this.unsentSince = now;
      this.logger.error(
        { unsentProbes: errors.length, of, error: errors[0] },
        `${errors.length} of ${of} probes could not be sent (${errors[0]}): the manager is short of its own resources; those servers are not counted as failing, and are not seen until probes can be sent`,
      );
    } else if (errors.length === 0 && this.unsentSince !== undefined) {
      this.logger.warn({ unsentSeconds: (now - this.unsentSince) / 1000 }, `probes are sent again after ${Math.round((now - this.unsentSince) / 1000)} s`);
      this.unsentSince = undefined;
    }
  }

  private recordProbe(target: GameServer, result: ProbeResult, probedAt: number): void {
    const change = this.registry.recordProbe(target.id, result, probedAt);
    if (!change) return;
    const error = result.ok ? undefined : result.error;
    this.logger.log({ serverId: target.id, address: target.address, ...change, error }, `server ${target.id} ${change.from} -> ${change.to}`);
    if (change.from === 'launching') {
      this.launchFailures = { consecutive: 0 };
      // From launch to the first healthy probe: the boot time the adaptive margin looks ahead by.
      if (change.to === 'ready') {
        this.adaptive.launchTimes.record(probedAt - target.launchedAt);
        this.metrics.launchedReady((probedAt - target.launchedAt) / 1000);
      }
    }
  }

  private setDraining(id: string, draining: boolean, now: number): void {
    const drainingSince = this.registry.get(id)?.drainingSince;
    this.registry.setDraining(id, draining, now);
    const ref = this.refOf(id);
    if (!ref) return;
    this.track(
      this.platform.setDraining(ref, this.registry.get(id)?.drainingSince).catch((error: unknown) => {
        // The platform keeps what survives a restart; the registry must not claim more than it.
        // A reactivation undone drains on since the drain began: DRAIN_TIMEOUT is not restarted.
        this.registry.setDraining(id, !draining, drainingSince ?? Date.now());
        this.registry.refused(id, { action: draining ? 'drain' : 'undrain', at: Date.now(), error: messageOf(error) });
      }),
    );
  }

  private launch(now: number): void {
    const id = `gs-${randomBytes(6).toString('hex')}`;
    this.registry.addLaunching(id, now);
    this.unplaced.add(id);
    const launching = this.platform.launch({ id, capacity: this.tuning.policy().serverCapacity }).then(
      (server) => {
        this.unplaced.delete(id);
        try {
          this.registry.placed(server);
          this.logger.log({ serverId: id, address: server.address }, `server ${id} placed at ${server.address}`);
          // It timed out or was stopped while the platform was still placing it.
          if (this.registry.get(id)?.stopping) this.stop(id);
          else this.launchWatch.watch(id, (placed, result, probedAt) => this.recordProbe(placed, result, probedAt));
        } catch (error) {
          // The platform runs it, but the registry may not know where: end it rather than leak it.
          this.registry.setStopping(id, true);
          this.track(
            this.platform.stop({ id, platformIds: server.platformIds }).then(
              () => this.registry.remove(id),
              () => undefined,
            ),
          );
          this.logger.error({ serverId: id, err: error }, `server ${id} was launched, but recording it failed; stopping it`);
        }
      },
      () => {
        this.unplaced.delete(id);
        // A launch the policy already stopped as timed out was counted as a failure then.
        if (!this.registry.get(id)?.stopping) this.recordLaunchFailure();
        this.registry.remove(id);
      },
    );
    this.track(launching);
  }

  private stop(id: string): void {
    this.registry.setStopping(id, true);
    if (this.unplaced.has(id)) return;
    const ref = this.refOf(id);
    if (!ref) return;
    this.track(
      this.platform
        .stop(ref)
        .then(() => this.registry.remove(id))
        // Back to its state before, so that the policy decides again on the next pass.
        .catch((error: unknown) => {
          this.registry.setStopping(id, false);
          this.registry.refused(id, { action: 'stop', at: Date.now(), error: messageOf(error) });
        }),
    );
  }

  private recordLaunchFailure(): void {
    this.launchFailures = { consecutive: this.launchFailures.consecutive + 1, lastAt: Date.now() };
  }

  /** The operators' changes of settings since the previous pass: the first pass after them is recorded with them. */
  private settingsChangedSinceLastPass(): readonly TuningChange[] | undefined {
    const { version } = this.tuning;
    const count = version - this.tuningSeen;
    this.tuningSeen = version;
    return count > 0 ? this.tuning.history().slice(-count) : undefined;
  }

  /** Operators' changes and actions always start a record of their own: a repeat would hide them. */
  private remember(
    decision: ScalingDecision,
    seen: Omit<PolicyInputs, 'freeCapacity'>,
    now: number,
    operators: Pick<DecisionRecord, 'settingsChanged' | 'operatorActions'>,
  ): void {
    const at = new Date(now).toISOString();
    const key = decisionKey(decision);
    const last = this.decisions.at(-1);
    if (operators.settingsChanged || operators.operatorActions) {
      this.decisions.push({ key, at, lastAt: at, repeats: 0, ...seen, ...operators, decision });
    } else if (last?.key === key) {
      // The same decision: counted, with the figures of the latest pass.
      Object.assign(last, seen, { decision, lastAt: at, repeats: last.repeats + 1 });
    } else {
      this.decisions.push({ key, at, lastAt: at, repeats: 0, ...seen, decision });
    }
    if (this.decisions.length > DECISIONS_KEPT) this.decisions.shift();
  }

  /** A probe outage is said loudly when it begins and when it ends, and counted in the metrics meanwhile. */
  private noteProbeOutage(figures: ProbeOutage | undefined, now: number): void {
    const was = this.outage;
    this.outage = figures && { since: was?.since ?? now, figures };
    this.metrics.probeOutage(figures);
    if (figures && !was) {
      this.logger.error(
        { probeOutage: figures },
        `probe outage: ${figures.failing} of ${figures.of} servers that were healthy fail their probes at once; suspecting the manager's own network or load, so no server is stopped for failed probes and none is launched or drained until probes answer again`,
      );
    } else if (!figures && was) {
      this.outageEndedAt = now;
      this.logger.warn({ probeOutageSeconds: (now - was.since) / 1000 }, `probe outage over after ${Math.round((now - was.since) / 1000)} s: probes answer again`);
    }
  }

  private refOf(id: string): ServerRef | undefined {
    const server = this.registry.get(id);
    return server && { id: server.id, platformIds: server.platformIds };
  }

  /** Every action's promise ends here: whatever it throws is logged, never left to end the process. */
  private track(action: Promise<void>): void {
    const settled = action.catch((error: unknown) => this.logger.error({ err: error }, `a scaling action failed unexpectedly: ${String(error)}`));
    this.actionsInFlight.add(settled);
    void settled.finally(() => this.actionsInFlight.delete(settled));
  }
}
