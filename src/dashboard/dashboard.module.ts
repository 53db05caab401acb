import { Module } from '@nestjs/common';
import { Settings } from '../config/settings';
import { DashboardController } from './dashboard.controller';
import { dashboardFiles } from './dashboard-files';
import { DASHBOARD_FILES } from './dashboard.tokens';

/** The operator's page: static files over the operator API, no data of its own. */
@Module({
  controllers: [DashboardController],
  providers: [{ provide: DASHBOARD_FILES, inject: [Settings], useFactory: dashboardFiles }],
})
export class DashboardModule {}
