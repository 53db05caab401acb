import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Settings } from './settings';
import { validateSettings } from './validate-settings';

export interface SettingsSource {
  /** Use exactly these variables instead of the process environment and `.env` (tests, tools). */
  env?: Record<string, string | undefined>;
}

/**
 * Provides the validated Settings to every module. The settings travel inside ConfigModule's
 * validated config under one key, so nothing is written back into process.env.
 */
@Global()
@Module({})
export class SettingsModule {
  /** Rejects with InvalidSettingsError before any module is built, so a bad setting is reported alone. */
  static async forRoot(source: SettingsSource = {}): Promise<DynamicModule> {
    const config = await ConfigModule.forRoot({
      ignoreEnvFile: source.env !== undefined,
      ignoreEnvVars: source.env !== undefined,
      validate: (loaded) => ({ settings: validateSettings(source.env ?? loaded) }),
    });
    return {
      module: SettingsModule,
      imports: [config],
      providers: [
        {
          provide: Settings,
          inject: [ConfigService],
          useFactory: (config: ConfigService<{ settings: Settings }, true>) => config.get('settings', { infer: true }),
        },
      ],
      exports: [Settings],
    };
  }
}
