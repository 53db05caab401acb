import { DynamicModule, Module } from '@nestjs/common';
import { AllocationModule } from './allocation/allocation.module';
import { SettingsModule, SettingsSource } from './config/settings.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { OperatorModule } from './operator/operator.module';
import { PlatformModule } from './platform/platform.module';

@Module({})
export class AppModule {
  static async forRoot(source: SettingsSource = {}): Promise<DynamicModule> {
    const { module: settingsModule, settings } = await SettingsModule.load(source);
    return {
      module: AppModule,
      imports: [settingsModule, PlatformModule.forPlatform(settings.PLATFORM), LoggingModule, MetricsModule, AllocationModule, HealthModule, OperatorModule],
    };
  }
}
