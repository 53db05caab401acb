import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { Settings } from './config/settings';
import { SettingsSource } from './config/settings.module';
import { serveOpenApi } from './openapi';

/** Paths that steer the fleet: a browser page of another origin must never reach them. */
const OPERATOR_PATH = /^\/fleet(\/|\?|$)/;

/** Builds the manager's HTTP application the same way for production and for tests. */
export async function createHttpApp(source: SettingsSource = {}): Promise<NestFastifyApplication> {
  const root = await AppModule.forRoot(source);
  const adapter = new FastifyAdapter({ routerOptions: { ignoreTrailingSlash: true } });
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  const settings = app.get(Settings);
  const origins = settings.CORS_ORIGINS === '*' ? '*' : settings.CORS_ORIGINS.split(',').map((origin) => origin.trim());
  app.enableCors({
    delegator: (request: FastifyRequest, callback) => callback(null, { origin: OPERATOR_PATH.test(request.url) ? false : origins }),
  });
  serveOpenApi(app);
  app.enableShutdownHooks();
  return app;
}
