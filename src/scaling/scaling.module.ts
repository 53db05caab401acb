import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { FleetModule } from '../fleet/fleet.module';
import { Settings } from '../config/settings';
import { AdaptiveMargin } from './adaptive-margin';
import { bootPriorMs } from './launch-times';
import { DemandRecord } from './demand-record';
import { FleetHistory } from './fleet-history';
import { LaunchWatch } from './launch-watch';
import { PolicyTuning } from './policy-tuning';
import { ReconcileLoop } from './reconcile-loop.service';
import { Reconciler } from './reconciler.service';

@Module({
  imports: [ScheduleModule.forRoot(), FleetModule],
  providers: [
    PolicyTuning,
    { provide: AdaptiveMargin, inject: [Settings], useFactory: (s: Settings) => new AdaptiveMargin(bootPriorMs(s.PLATFORM, s.ECS_LAUNCH_TYPE)) },
    { provide: DemandRecord, useFactory: () => new DemandRecord() },
    { provide: FleetHistory, useFactory: () => new FleetHistory() },
    LaunchWatch,
    Reconciler,
    ReconcileLoop,
  ],
  exports: [ReconcileLoop, Reconciler, PolicyTuning, DemandRecord, FleetHistory],
})
export class ScalingModule {}
