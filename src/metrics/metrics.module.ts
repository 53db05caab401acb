import { Global, Module } from '@nestjs/common';
import { FleetMetrics } from './fleet-metrics';
import { MetricsController } from './metrics.controller';

/** Global, because every module records something; it depends on nothing but the settings. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [FleetMetrics],
  exports: [FleetMetrics],
})
export class MetricsModule {}
