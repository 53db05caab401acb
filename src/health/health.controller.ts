import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { FleetHealthIndicator } from './fleet-health.indicator';

/** The manager's own health, for its orchestrator (not to be confused with the game servers' /health/). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly fleet: FleetHealthIndicator,
  ) {}

  /** Liveness: the process serves requests. */
  @Get()
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Readiness: the leader, not shutting down, the fleet was rebuilt from the platform and the platform answered recently. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.fleet.serving(), () => this.fleet.role(), () => this.fleet.fleetRebuilt(), () => this.fleet.platformAnswers(), () => this.fleet.probes()]);
  }
}
