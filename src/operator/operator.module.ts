import { Module } from '@nestjs/common';
import { FleetModule } from '../fleet/fleet.module';
import { ScalingModule } from '../scaling/scaling.module';
import { AdminTokenGuard } from './admin-token.guard';
import { OperatorController } from './operator.controller';
import { OperatorService } from './operator.service';
import { DEFAULT_WHAT_IF_LIMITS, WHAT_IF_LIMITS, WhatIfService } from './what-if.service';

@Module({
  imports: [FleetModule, ScalingModule],
  controllers: [OperatorController],
  providers: [OperatorService, WhatIfService, { provide: WHAT_IF_LIMITS, useValue: DEFAULT_WHAT_IF_LIMITS }, AdminTokenGuard],
})
export class OperatorModule {}
