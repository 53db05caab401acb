import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { FleetModule } from '../fleet/fleet.module';
import { ScalingModule } from '../scaling/scaling.module';
import { FleetHealthIndicator } from './fleet-health.indicator';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule, FleetModule, ScalingModule],
  controllers: [HealthController],
  providers: [FleetHealthIndicator],
})
export class HealthModule {}
