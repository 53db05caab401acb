import { Module } from '@nestjs/common';
import { FleetModule } from '../fleet/fleet.module';
import { ScalingModule } from '../scaling/scaling.module';
import { AllocationController } from './allocation.controller';
import { AllocationService } from './allocation.service';

@Module({
  imports: [FleetModule, ScalingModule],
  controllers: [AllocationController],
  providers: [AllocationService],
})
export class AllocationModule {}
