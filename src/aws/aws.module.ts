import { Module } from '@nestjs/common';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { Settings } from '../config/settings';
import { ActingFence } from '../lifecycle/acting-fence';
import { awsClientConfig } from './aws-client-config';
import { fenced } from './fenced-client';

/** The clients of the game servers' platform: whatever they may change goes through the acting fence. */
@Module({
  providers: [
    { provide: ECSClient, inject: [Settings, ActingFence], useFactory: (settings: Settings, fence: ActingFence) => fenced(new ECSClient(awsClientConfig(settings)), fence) },
    { provide: EC2Client, inject: [Settings, ActingFence], useFactory: (settings: Settings, fence: ActingFence) => fenced(new EC2Client(awsClientConfig(settings)), fence) },
  ],
  exports: [ECSClient, EC2Client],
})
export class AwsModule {}
