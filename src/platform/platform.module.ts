import { Module } from '@nestjs/common';
import { Settings } from '../config/settings';
import { GAME_SERVER_PLATFORM } from './game-server-platform';
import { LocalPlatform } from './local/local.platform';

/** Chooses the platform named by PLATFORM and offers it to the fleet through one token. */
@Module({
  providers: [
    LocalPlatform,
    {
      provide: GAME_SERVER_PLATFORM,
      inject: [Settings, LocalPlatform],
      useFactory: (settings: Settings, local: LocalPlatform) => {
        if (settings.PLATFORM === 'local') return local;
        throw new Error(`PLATFORM=${settings.PLATFORM} is not available in this build`);
      },
    },
  ],
  exports: [GAME_SERVER_PLATFORM],
})
export class PlatformModule {}
