import { Module } from '@nestjs/common';
import { AwsModule } from '../../aws/aws.module';
import { CHOSEN_PLATFORM } from '../game-server-platform';
import { EcsPlatform } from './ecs.platform';

@Module({
  imports: [AwsModule],
  providers: [{ provide: CHOSEN_PLATFORM, useClass: EcsPlatform }],
  exports: [CHOSEN_PLATFORM],
})
export class EcsPlatformModule {}
