import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { FleetModule } from '../fleet/fleet.module';
import { FleetHealthIndicator } from './fleet-health.indicator';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule, FleetModule],
  controllers: [HealthController],
  providers: [FleetHealthIndicator],
})
export class HealthModule {}
