import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { Settings } from './config/settings';
import { SettingsSource } from './config/settings.module';
import { serveOpenApi } from './openapi';

/** No endpoint takes a body; anything larger than this is refused before it is read. */
const BODY_LIMIT_BYTES = 16 * 1024;

/** Paths that steer the fleet: a browser page of another origin must never reach them. */
const OPERATOR_PATH = /^\/fleet(\/|\?|$)/;

/** Builds the manager's HTTP application the same way for production and for tests. */
export async function createHttpApp(source: SettingsSource = {}): Promise<NestFastifyApplication> {
  const root = await AppModule.forRoot(source);
  const adapter = new FastifyAdapter({ routerOptions: { ignoreTrailingSlash: true }, bodyLimit: BODY_LIMIT_BYTES });
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  const settings = app.get(Settings);
  const origins = settings.CORS_ORIGINS === '*' ? '*' : settings.CORS_ORIGINS.split(',').map((origin) => origin.trim());
  app.enableCors({
    delegator: (request: FastifyRequest, callback) => callback(null, { origin: OPERATOR_PATH.test(request.url) ? false : origins }),
  });
  // helmet built once: @fastify/helmet rebuilds it on every request, which cost 8 % of the CPU of an allocation.
  const securityHeaders = helmet({
    // Swagger UI at /docs needs its own scripts and inline styles; nothing here may be framed.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        // The manager is often reached over plain HTTP inside a VPC: do not send browsers to https.
        upgradeInsecureRequests: null,
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined)));
  serveOpenApi(app);
  app.enableShutdownHooks();
  return app;
}
