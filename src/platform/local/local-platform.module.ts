import { Module } from '@nestjs/common';
import { CHOSEN_PLATFORM } from '../game-server-platform';
import { LocalPlatform } from './local.platform';

@Module({
  providers: [{ provide: CHOSEN_PLATFORM, useClass: LocalPlatform }],
  exports: [CHOSEN_PLATFORM],
})
export class LocalPlatformModule {}
