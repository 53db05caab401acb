import { Module } from '@nestjs/common';
import { AwsModule } from '../aws/aws.module';
import { Settings } from '../config/settings';
import { FleetMetrics } from '../metrics/fleet-metrics';
import { GAME_SERVER_PLATFORM } from './game-server-platform';
import { InstrumentedPlatform } from './instrumented-platform';
import { EcsPlatform } from './ecs/ecs.platform';
import { LocalPlatform } from './local/local.platform';

/** Chooses the platform named by PLATFORM and offers it to the fleet through one token. */
@Module({
  imports: [AwsModule],
  providers: [
    LocalPlatform,
    EcsPlatform,
    {
      provide: GAME_SERVER_PLATFORM,
      inject: [Settings, FleetMetrics, LocalPlatform, EcsPlatform],
      useFactory: (settings: Settings, metrics: FleetMetrics, local: LocalPlatform, ecs: EcsPlatform) =>
        new InstrumentedPlatform(settings.PLATFORM === 'ecs' ? ecs : local, metrics),
    },
  ],
  exports: [GAME_SERVER_PLATFORM],
})
export class PlatformModule {}
