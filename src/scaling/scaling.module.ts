import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { FleetModule } from '../fleet/fleet.module';
import { policySettingsProvider } from './policy-settings.provider';
import { ReconcileLoop } from './reconcile-loop.service';
import { Reconciler } from './reconciler.service';

@Module({
  imports: [ScheduleModule.forRoot(), FleetModule],
  providers: [policySettingsProvider, Reconciler, ReconcileLoop],
  exports: [ReconcileLoop, Reconciler, policySettingsProvider],
})
export class ScalingModule {}
