import { Module } from '@nestjs/common';
import { FleetModule } from '../fleet/fleet.module';
import { ScalingModule } from '../scaling/scaling.module';
import { AdminTokenGuard } from './admin-token.guard';
import { OperatorController } from './operator.controller';
import { OperatorService } from './operator.service';

@Module({
  imports: [FleetModule, ScalingModule],
  controllers: [OperatorController],
  providers: [OperatorService, AdminTokenGuard],
})
export class OperatorModule {}
