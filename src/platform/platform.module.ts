import { DynamicModule, Global, Module, Type } from '@nestjs/common';
import { PlatformName } from '../config/settings';
import { FleetMetrics } from '../metrics/fleet-metrics';
import { CHOSEN_PLATFORM, GAME_SERVER_PLATFORM, GameServerPlatform } from './game-server-platform';
import type * as EcsPlatformFile from './ecs/ecs-platform.module';
import { InstrumentedPlatform } from './instrumented-platform';
import type * as LocalPlatformFile from './local/local-platform.module';

/**
 * Offers the platform named by PLATFORM to every module through one token, counted and logged.
 * Only the chosen platform's module is loaded: the AWS SDK alone costs a local manager 100 MB and
 * a second of start-up.
 */
@Global()
@Module({})
export class PlatformModule {
  static forPlatform(name: PlatformName): DynamicModule {
    // require, not import: the files are loaded only for the platform in use.
    const chosen: Type =
      name === 'ecs'
        ? (require('./ecs/ecs-platform.module') as typeof EcsPlatformFile).EcsPlatformModule
        : (require('./local/local-platform.module') as typeof LocalPlatformFile).LocalPlatformModule;
    return {
      module: PlatformModule,
      imports: [chosen],
      providers: [
        {
          provide: GAME_SERVER_PLATFORM,
          inject: [CHOSEN_PLATFORM, FleetMetrics],
          useFactory: (platform: GameServerPlatform, metrics: FleetMetrics) => new InstrumentedPlatform(platform, metrics),
        },
      ],
      exports: [GAME_SERVER_PLATFORM],
    };
  }
}
