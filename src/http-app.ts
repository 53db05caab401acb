import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from 'nestjs-pino';
import { ClientApi } from './allocation/client-api';
import { AppModule } from './app.module';
import { SettingsSource } from './config/settings.module';
import { BODY_LIMIT_BYTES, maxClientConnections } from './http/http-limits';
import { serveOpenApi } from './openapi';
import { securityHeadersHook } from './http/security-headers';

type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** How often the server looks for requests past their timeouts. */
const CONNECTIONS_CHECK_MS = 1000;

/**
 * Builds the manager's HTTP application the same way for production and for tests: one HTTP
 * server on one port, whose requests go to the game clients' API (answered on node:http, see
 * ClientApi) or to the Nest application, by method and path.
 */
export async function createHttpApp(source: SettingsSource = {}): Promise<NestFastifyApplication> {
  const { module: root, settings } = await AppModule.forRoot(source);
  // Until the client API exists every request goes to Nest; the server does not listen before then.
  let clientApi: ClientApi | undefined;
  const adapter = new FastifyAdapter({
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: BODY_LIMIT_BYTES,
    serverFactory: (nest: RequestHandler, options: Record<string, unknown>) => {
      const server = createServer(
        {
          // A client slow to send its request (slowloris) holds a socket and a file descriptor; every
          // client that does so is cut off, checked each second, before the descriptors run out.
          headersTimeout: settings.HTTP_HEADERS_TIMEOUT * 1000,
          requestTimeout: settings.HTTP_REQUEST_TIMEOUT * 1000,
          connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
          // What Fastify does to a server it creates itself: its keep-alive (72 s) outlives a load
          // balancer's idle timeout (60 s on an ALB), so the balancer never reuses a closed connection.
          keepAliveTimeout: options.keepAliveTimeout as number,
        },
        (request, response) => {
          const clientPath = clientApi?.routeOf(request);
          if (clientApi && clientPath) clientApi.handle(clientPath, request, response);
          else nest(request, response);
        },
      );
      // Beyond this, new connections are closed at once, so that clients can never take the descriptors the probes need.
      server.maxConnections = maxClientConnections(settings.HTTP_MAX_CONNECTIONS, Math.max(settings.MAX_SERVERS, settings.PROBE_CONCURRENCY));
      return server;
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  clientApi = app.get(ClientApi);
  app.getHttpAdapter().getInstance().addHook('onRequest', securityHeadersHook);
  serveOpenApi(app);
  app.enableShutdownHooks();
  return app;
}
