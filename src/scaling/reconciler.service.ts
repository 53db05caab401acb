import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { FleetRegistry } from '../fleet/fleet.registry';
import { HealthProber } from '../fleet/health-prober';
import { GAME_SERVER_PLATFORM, GameServerPlatform, ServerRef } from '../platform/game-server-platform';
import { LaunchFailures, PolicySettings } from './fleet-snapshot';
import { decideScaling } from './margin-policy';
import { POLICY_SETTINGS } from './policy-settings.provider';
import { ScalingAction, ScalingDecision } from './scaling-action';

/**
 * One reconcile pass: probe every server, ask the policy, start the actions. Actions run in the
 * background (a launch may take minutes on ECS), so a pass takes as long as its probes and
 * allocation is served throughout.
 */
@Injectable()
export class Reconciler {
  private readonly logger = new Logger(Reconciler.name);
  private launchFailures: LaunchFailures = { consecutive: 0 };
  /** Servers whose platform launch has not resolved yet: they have no address to stop. */
  private readonly unplaced = new Set<string>();
  private readonly actionsInFlight = new Set<Promise<void>>();

  constructor(
    private readonly registry: FleetRegistry,
    private readonly prober: HealthProber,
    @Inject(GAME_SERVER_PLATFORM) private readonly platform: GameServerPlatform,
    @Inject(POLICY_SETTINGS) private readonly policy: PolicySettings,
  ) {}

  async runPass(): Promise<ScalingDecision> {
    const targets = this.registry.probeTargets();
    const results = await this.prober.probeAll(targets);
    const probedAt = Date.now();
    targets.forEach((target, index) => {
      const result = results[index];
      const change = this.registry.recordProbe(target.id, result, probedAt);
      if (!change) return;
      const why = result.ok ? '' : `: ${result.error}`;
      this.logger.log(`server ${target.id} (${target.address}) ${change.from} -> ${change.to}${why}`);
      if (change.from === 'launching') this.launchFailures = { consecutive: 0 };
    });

    const now = Date.now();
    const decision = decideScaling({ now, servers: this.registry.snapshot(now), launchFailures: this.launchFailures }, this.policy);
    for (const action of decision.actions) this.execute(action, now);
    return decision;
  }

  /** Resolves when every action started so far has finished (used at shutdown and by tests). */
  async settle(): Promise<void> {
    while (this.actionsInFlight.size > 0) await Promise.allSettled([...this.actionsInFlight]);
  }

  private execute(action: ScalingAction, now: number): void {
    switch (action.kind) {
      case 'launch':
        this.logger.log(`launching ${action.count} server(s): ${action.reason}`);
        for (let i = 0; i < action.count; i++) this.launch(now);
        return;
      case 'drain':
      case 'reactivate': {
        const draining = action.kind === 'drain';
        this.logger.log(`${action.kind} server ${action.serverId}: ${action.reason}`);
        this.registry.setDraining(action.serverId, draining, now);
        const ref = this.refOf(action.serverId);
        if (!ref) return;
        this.track(
          this.platform.setDraining(ref, draining).catch((error: unknown) => {
            this.logger.error(`${action.kind} of server ${action.serverId} failed on the platform: ${String(error)}`);
            this.registry.setDraining(action.serverId, !draining, Date.now());
          }),
        );
        return;
      }
      case 'stop':
        this.logger.log(`stopping server ${action.serverId}: ${action.reason}`);
        if (action.reason === 'launch-timeout') this.recordLaunchFailure();
        this.stop(action.serverId);
        return;
    }
  }

  private launch(now: number): void {
    const id = `gs-${randomBytes(6).toString('hex')}`;
    this.registry.addLaunching(id, now);
    this.unplaced.add(id);
    const launching = this.platform
      .launch({ id, capacity: this.policy.serverCapacity })
      .then((server) => {
        this.unplaced.delete(id);
        this.registry.placed(server);
        this.logger.log(`server ${id} placed at ${server.address}`);
        // It timed out or was stopped while the platform was still placing it.
        if (this.registry.get(id)?.stopping) this.stop(id);
      })
      .catch((error: unknown) => {
        this.unplaced.delete(id);
        this.registry.remove(id);
        this.recordLaunchFailure();
        this.logger.error(`launch of server ${id} failed: ${String(error)}`);
      });
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
        .catch((error: unknown) => {
          this.logger.error(`stop of server ${id} failed, the policy will try again: ${String(error)}`);
          this.registry.setStopping(id, false);
        }),
    );
  }

  private recordLaunchFailure(): void {
    this.launchFailures = { consecutive: this.launchFailures.consecutive + 1, lastAt: Date.now() };
  }

  private refOf(id: string): ServerRef | undefined {
    const server = this.registry.get(id);
    return server && { id: server.id, platformIds: server.platformIds };
  }

  private track(action: Promise<void>): void {
    this.actionsInFlight.add(action);
    void action.finally(() => this.actionsInFlight.delete(action));
  }
}
