import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { SettingsSource } from './config/settings.module';

export interface HttpAppOptions extends SettingsSource {
  logger?: false | LogLevel[];
}

/** Builds the manager's HTTP application the same way for production and for tests. */
export async function createHttpApp(options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  const root = await AppModule.forRoot(options);
  const adapter = new FastifyAdapter({ routerOptions: { ignoreTrailingSlash: true } });
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    logger: options.logger ?? ['log', 'warn', 'error', 'fatal'],
    abortOnError: false,
  });
  app.enableShutdownHooks();
  return app;
}

