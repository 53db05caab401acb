import { Module } from '@nestjs/common';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { Settings } from '../config/settings';
import { ActingFence } from '../lifecycle/acting-fence';
import { FleetMetrics } from '../metrics/fleet-metrics';
import { awsClientConfig } from './aws-client-config';
import { fenced } from './fenced-client';
import { timed } from './timed-client';

/** The clients of the game servers' platform: whatever they may change goes through the acting fence, and every call is timed. */
@Module({
  providers: [
    {
      provide: ECSClient,
      inject: [Settings, ActingFence, FleetMetrics],
      useFactory: (settings: Settings, fence: ActingFence, metrics: FleetMetrics) => timed(fenced(new ECSClient(awsClientConfig(settings)), fence), metrics),
    },
    {
      provide: EC2Client,
      inject: [Settings, ActingFence, FleetMetrics],
      useFactory: (settings: Settings, fence: ActingFence, metrics: FleetMetrics) => timed(fenced(new EC2Client(awsClientConfig(settings)), fence), metrics),
    },
  ],
  exports: [ECSClient, EC2Client],
})
export class AwsModule {}
