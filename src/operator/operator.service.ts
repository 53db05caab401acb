import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { FleetRegistry } from '../fleet/fleet.registry';
import { GameServer, stateOf } from '../fleet/game-server';
import { countByState, ServerState } from '../domain/server-state';
import { Leadership } from '../leadership/leadership.service';
import { GAME_SERVER_PLATFORM, GameServerPlatform } from '../platform/game-server-platform';
import { DecisionRecord } from '../scaling/decision-record';
import { freeCapacityOf } from '../scaling/margin-policy';
import { PolicyTuning } from '../scaling/policy-tuning';
import { ReconcileLoop } from '../scaling/reconcile-loop.service';
import { Reconciler } from '../scaling/reconciler.service';
import { DemandRecord, RecordedTrace, recordedTrace } from '../scaling/demand-record';
import { FleetHistory, HistoryPoint } from '../scaling/fleet-history';
import { FleetViewDto, ServerActionResultDto, ServerViewDto, TuningViewDto } from './fleet-view.dto';
import { InvalidSettingsError } from '../config/validate-settings';

/** What operators may see and do; every change goes through the reconciler, like the policy's. */
@Injectable()
export class OperatorService {
  constructor(
    private readonly registry: FleetRegistry,
    private readonly reconciler: Reconciler,
    private readonly loop: ReconcileLoop,
    private readonly tuning: PolicyTuning,
    @Inject(GAME_SERVER_PLATFORM) private readonly platform: GameServerPlatform,
    private readonly leadership: Leadership,
    private readonly demandRecord: DemandRecord,
    private readonly fleetHistory: FleetHistory,
  ) {}

  fleet(): FleetViewDto {
    const now = Date.now();
    const servers = this.registry.all().map((server) => this.viewOf(server, now));
    const serversByState = countByState(servers);
    const policy = this.tuning.policy();
    const freeCapacity = freeCapacityOf(servers, policy.serverCapacity);
    const { upscaleMargin, downscaleMargin, serverCapacity, minServers, maxServers } = policy;
    const held = this.reconciler.heldMargins();
    return {
      platform: this.platform.name,
      manager: this.leadership.status(),
      totals: { serversByState, freeCapacity },
      margins: {
        upscaleMargin,
        downscaleMargin,
        serverCapacity,
        minServers,
        maxServers,
        mode: held.mode,
        effectiveUpscaleMargin: held.upscaleMargin,
        effectiveDownscaleMargin: held.downscaleMargin,
        estimate: held.estimate,
        scheduled: held.scheduled && { ...held.scheduled, windows: [...held.scheduled.windows] },
      },
      servers,
      unadopted: [...this.platform.unadopted()],
    };
  }

  drain(id: string): ServerActionResultDto {
    this.require(id, ['ready'], 'drain');
    this.reconciler.apply({ kind: 'drain', serverId: id, reason: 'operator request' }, 'operator');
    return this.result(id);
  }

  undrain(id: string): ServerActionResultDto {
    this.require(id, ['draining'], 'undrain');
    this.reconciler.apply({ kind: 'reactivate', serverId: id, reason: 'operator request' }, 'operator');
    return this.result(id);
  }

  stop(id: string, force: boolean): ServerActionResultDto {
    const server = this.require(id, ['launching', 'ready', 'draining', 'unhealthy'], 'stop');
    const hasPlayers = stateOf(server) !== 'launching' && (!server.readyToClose || server.reservations.length > 0);
    if (hasPlayers && !force) {
      throw new ConflictException(`server ${id} has players (or places handed out); drain it first, or stop it with force=true`);
    }
    this.reconciler.apply({ kind: 'stop', serverId: id, reason: force ? 'forced' : 'operator' }, 'operator');
    return this.result(id);
  }

  async reconcileNow(): Promise<DecisionRecord | undefined> {
    try {
      await this.loop.passNow();
    } catch (error) {
      throw new ServiceUnavailableException(String(error instanceof Error ? error.message : error));
    }
    return this.reconciler.recentDecisions().at(-1);
  }

  /** Changes tunable settings at run time; a 400 names every problem, as start-up would. */
  tune(patch: Readonly<Record<string, unknown>>): TuningViewDto {
    try {
      this.tuning.apply(patch);
    } catch (error) {
      if (error instanceof InvalidSettingsError) throw new BadRequestException(error.problems);
      throw error;
    }
    return this.tuningView();
  }

  tuningView(): TuningViewDto {
    return { settings: this.tuning.values(), changes: [...this.tuning.history()] };
  }

  /** The demand of the last week as a trace for `npm run simulate`. */
  demand(): RecordedTrace {
    const trace = recordedTrace(this.demandRecord.minutes());
    if (!trace) throw new NotFoundException('no demand recorded yet: the first reconcile pass has not run');
    return trace;
  }

  /** The fleet of the last hours, for the operator's chart. */
  history(since: number): HistoryPoint[] {
    return this.fleetHistory.points(since);
  }

  decisions(): readonly DecisionRecord[] {
    return this.reconciler.recentDecisions();
  }

  private require(id: string, allowed: readonly ServerState[], what: string): GameServer {
    if (!this.leadership.isLeader) {
      const leader = this.leadership.status().leader;
      throw new ServiceUnavailableException(`this manager is a standby and changes nothing; ask the leader${leader ? ` (${leader})` : ''}`);
    }
    const server = this.registry.get(id);
    if (!server) throw new NotFoundException(`no server ${id} in the fleet`);
    const state = stateOf(server);
    if (!allowed.includes(state)) throw new ConflictException(`cannot ${what} server ${id} while it is ${state}`);
    return server;
  }

  private result(id: string): ServerActionResultDto {
    return { id, state: this.registry.stateOf(id) ?? 'stopping' };
  }

  private viewOf(server: GameServer, now: number): ServerViewDto {
    return {
      id: server.id,
      state: stateOf(server),
      address: server.address,
      probeAddress: server.probeAddress,
      reportedCapacity: server.reportedCapacity,
      reserved: server.reservations.length,
      free: this.registry.freeOf(server, now),
      readyToClose: server.readyToClose,
      consecutiveFailures: server.consecutiveFailures,
      ageSeconds: Math.round((now - server.launchedAt) / 1000),
      drainingSeconds: server.drainingSince === undefined ? undefined : Math.round((now - server.drainingSince) / 1000),
      version: server.version,
      outdated: server.outdated,
      platformIds: { ...server.platformIds },
      lastRefusal: server.lastRefusal && { ...server.lastRefusal, at: new Date(server.lastRefusal.at).toISOString() },
    };
  }
}
