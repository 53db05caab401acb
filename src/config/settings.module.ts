import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Settings } from './settings';
import { validateSettings } from './validate-settings';

export interface SettingsSource {
  /** Use exactly these variables instead of the process environment and `.env` (tests, tools). */
  env?: Record<string, string | undefined>;
}

/**
 * Provides the validated Settings to every module. ConfigModule reads `.env` and the environment;
 * the validated settings travel under one key, so nothing is written back into process.env.
 */
@Global()
@Module({})
export class SettingsModule {
  /**
   * Validates the settings and builds the module that provides them. Rejects with
   * InvalidSettingsError before any module is built, so a bad setting is reported alone; the
   * settings are also returned, for choices made while the application is assembled (the platform).
   */
  static async load(source: SettingsSource = {}): Promise<{ module: DynamicModule; settings: Settings }> {
    let settings!: Settings;
    const config = await ConfigModule.forRoot({
      ignoreEnvFile: source.env !== undefined,
      ignoreEnvVars: source.env !== undefined,
      validate: (loaded) => {
        settings = validateSettings(source.env ?? loaded);
        return { settings };
      },
    });
    return {
      settings,
      module: { module: SettingsModule, imports: [config], providers: [{ provide: Settings, useValue: settings }], exports: [Settings] },
    };
  }
}
