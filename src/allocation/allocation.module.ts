import { Module } from '@nestjs/common';
import { FleetModule } from '../fleet/fleet.module';
import { ScalingModule } from '../scaling/scaling.module';
import { AllocationService } from './allocation.service';
import { ClientApi } from './client-api';
import { ClientLimits } from './client-limits';

@Module({
  imports: [FleetModule, ScalingModule],
  providers: [AllocationService, ClientApi, ClientLimits],
  exports: [ClientApi],
})
export class AllocationModule {}
