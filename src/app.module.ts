import { DynamicModule, Module } from '@nestjs/common';
import { AllocationModule } from './allocation/allocation.module';
import { SettingsModule, SettingsSource } from './config/settings.module';
import { HealthModule } from './health/health.module';

@Module({})
export class AppModule {
  static forRoot(source: SettingsSource = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [SettingsModule.forRoot(source), AllocationModule, HealthModule],
    };
  }
}
