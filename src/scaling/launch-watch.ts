import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Settings } from '../config/settings';
import { FleetRegistry } from '../fleet/fleet.registry';
import { GameServer } from '../fleet/game-server';
import { HealthProber } from '../fleet/health-prober';
import { ProbeResult } from '../fleet/health-report';
import { passGapMs } from './pass-gap';

/** The first look at a placed server: a local game server answers about 0.2 s after its launch. */
const FIRST_LOOK_MS = 100;
/** Each look that finds no answer waits this much longer for the next, up to the gap between passes. */
const LOOK_GROWTH = 1.5;

/** When the watch of a server that has not answered after `looks` looks probes it again. */
export function nextLookMs(looks: number, passGapMs: number): number {
  return Math.min(passGapMs, FIRST_LOOK_MS * LOOK_GROWTH ** looks);
}

/**
 * Probes each launched server on its own from the moment the platform places it until it first
 * answers. A pass alone would see it only at the next pass: on the local platform a server
 * answers in 0.2 s, and SLEEP_TIME later it had turned players away meanwhile (5 a second at a
 * cold start, `npm run players`). The looks grow further apart up to the gap between passes, so
 * a launch that takes minutes (ECS) costs about a probe a pass, as before.
 */
@Injectable()
export class LaunchWatch implements OnModuleDestroy {
  private readonly logger = new Logger(LaunchWatch.name);
  private readonly gapMs: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly registry: FleetRegistry,
    private readonly prober: HealthProber,
    settings: Settings,
  ) {
    this.gapMs = passGapMs(settings.SLEEP_TIME);
  }

  /**
   * Watches the server `id` until it first answers, which `answered` is given. The watch ends
   * early once the server is no longer launching (a pass saw it, it is being stopped, or it left
   * the fleet). A failed look is not passed on: a launching server that does not answer yet is
   * not failing (its launch timeout covers it).
   */
  watch(id: string, answered: (server: GameServer, result: ProbeResult, probedAt: number) => void): void {
    // Asked before each look and again once it answers: the fleet may have moved on meanwhile.
    const stillLaunching = (server: GameServer | undefined): server is GameServer & { probeAddress: string } =>
      !this.closed && server !== undefined && this.registry.get(id) === server && server.probeAddress !== undefined && !server.stopping && !server.everHealthy;
    const look = async (looks: number) => {
      const server = this.registry.get(id);
      if (!stillLaunching(server)) return;
      const result = await this.prober.probe(server.probeAddress);
      if (!stillLaunching(server)) return;
      if (result.ok) answered(server, result, Date.now());
      else this.after(nextLookMs(looks + 1, this.gapMs), () => look(looks + 1));
    };
    this.after(nextLookMs(0, this.gapMs), () => look(0));
  }

  onModuleDestroy(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private after(delayMs: number, run: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      // A look in flight when the manager shuts down is refused by the prober: that is no failure.
      run().catch((error: unknown) => this.closed || this.logger.error({ err: error }, `watching a launch failed: ${String(error)}`));
    }, delayMs);
    // A watch ends with its launch (the launch timeout at the latest): it never keeps a process alive.
    timer.unref();
    this.timers.add(timer);
  }
}
