import { Module } from '@nestjs/common';
import { Settings } from '../config/settings';
import { FleetMetrics } from '../metrics/fleet-metrics';
import { GAME_SERVER_PLATFORM } from './game-server-platform';
import { InstrumentedPlatform } from './instrumented-platform';
import { LocalPlatform } from './local/local.platform';

/** Chooses the platform named by PLATFORM and offers it to the fleet through one token. */
@Module({
  providers: [
    LocalPlatform,
    {
      provide: GAME_SERVER_PLATFORM,
      inject: [Settings, FleetMetrics, LocalPlatform],
      useFactory: (settings: Settings, metrics: FleetMetrics, local: LocalPlatform) => {
        if (settings.PLATFORM === 'local') return new InstrumentedPlatform(local, metrics);
        throw new Error(`PLATFORM=${settings.PLATFORM} is not available in this build`);
      },
    },
  ],
  exports: [GAME_SERVER_PLATFORM],
})
export class PlatformModule {}
