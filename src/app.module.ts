import { DynamicModule, Module } from '@nestjs/common';
import { AllocationModule } from './allocation/allocation.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { SettingsModule, SettingsSource } from './config/settings.module';
import { HealthModule } from './health/health.module';
import { LeadershipModule } from './leadership/leadership.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { OperatorModule } from './operator/operator.module';
import { PlatformModule } from './platform/platform.module';
import { Settings } from './config/settings';

@Module({})
export class AppModule {
  /** The application's root module, and its settings for what is built outside Nest (the HTTP server). */
  static async forRoot(source: SettingsSource = {}): Promise<{ module: DynamicModule; settings: Settings }> {
    const { module: settingsModule, settings } = await SettingsModule.load(source);
    const imports = [settingsModule, LifecycleModule, LeadershipModule, PlatformModule.forPlatform(settings.PLATFORM), LoggingModule, MetricsModule, AllocationModule, HealthModule, OperatorModule, DashboardModule];
    return { module: { module: AppModule, imports }, settings };
  }
}
