import { Module } from '@nestjs/common';
import { FleetDiscovery } from './fleet-discovery.service';
import { FleetRegistry } from './fleet.registry';
import { HealthProber } from './health-prober';

@Module({
  providers: [FleetRegistry, HealthProber, FleetDiscovery],
  exports: [FleetRegistry, HealthProber, FleetDiscovery],
})
export class FleetModule {}
