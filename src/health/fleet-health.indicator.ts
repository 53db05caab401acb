import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { FleetRegistry } from '../fleet/fleet.registry';
import { GAME_SERVER_PLATFORM, GameServerPlatform } from '../platform/game-server-platform';

const PLATFORM_CHECK_TIMEOUT_MS = 3000;
/** Readiness is polled often; the platform (AWS, for ECS) is asked at most this often. */
const PLATFORM_CHECK_CACHE_MS = 10_000;

@Injectable()
export class FleetHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly registry: FleetRegistry,
    @Inject(GAME_SERVER_PLATFORM) private readonly platform: GameServerPlatform,
  ) {}

  fleetRebuilt() {
    const check = this.indicators.check('fleet');
    return this.registry.isRebuilt
      ? check.up({ servers: this.registry.size })
      : check.down({ message: `the fleet is not rebuilt from the ${this.platform.name} platform yet` });
  }

  platformAnswers() {
    return this.indicators
      .check('platform')
      .attempt(async () => {
        await this.platform.ping();
        return { name: this.platform.name };
      })
      .withTimeout(PLATFORM_CHECK_TIMEOUT_MS)
      .cacheFor(PLATFORM_CHECK_CACHE_MS);
  }
}
