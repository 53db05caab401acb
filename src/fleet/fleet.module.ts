import { Module } from '@nestjs/common';
import { PlatformModule } from '../platform/platform.module';
import { FleetDiscovery } from './fleet-discovery.service';
import { FleetRegistry } from './fleet.registry';
import { HealthProber } from './health-prober';

@Module({
  imports: [PlatformModule],
  providers: [FleetRegistry, HealthProber, FleetDiscovery],
  exports: [FleetRegistry, HealthProber, FleetDiscovery, PlatformModule],
})
export class FleetModule {}
