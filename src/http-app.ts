import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import { Logger } from 'nestjs-pino';
import { ClientApi } from './allocation/client-api';
import { AppModule } from './app.module';
import { Settings } from './config/settings';
import { SettingsSource } from './config/settings.module';
import { JSON_API_HEADERS } from './http/json-api-headers';
import { BODY_LIMIT_BYTES, maxClientConnections, openFileLimit } from './http/http-limits';
import { serveOpenApi } from './openapi';
import { securityHeadersHook } from './http/security-headers';

type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** How often the server looks for requests past their timeouts. */
const CONNECTIONS_CHECK_MS = 1000;

/** What the public port still serves besides the game clients' API when OPERATOR_PORT is set: the orchestrator's and load balancer's health checks. */
const PUBLIC_NEST_PATH = /^\/health(?:\/|\?|$)/;

const NOT_HERE = JSON.stringify({ message: 'Not Found', statusCode: 404 });

/** The operator's endpoints asked on the public port, when they live on OPERATOR_PORT: as if they did not exist. */
function notHere(response: ServerResponse): void {
  response.writeHead(404, { ...JSON_API_HEADERS, 'content-length': Buffer.byteLength(NOT_HERE) });
  response.end(NOT_HERE);
}

/** The servers the operator port adds, by application, so that listen and close find them. */
const operatorServers = new WeakMap<NestFastifyApplication, Server>();

/**
 * Builds the manager's HTTP application the same way for production and for tests: an HTTP
 * server on PORT, whose requests go to the game clients' API (answered on node:http, see
 * ClientApi) or to the Nest application, by method and path; and, with OPERATOR_PORT set, a
 * second one that takes the operator's endpoints (the operator API, /metrics, /docs) off PORT.
 */
export async function createHttpApp(source: SettingsSource = {}): Promise<NestFastifyApplication> {
  const { module: root, settings } = await AppModule.forRoot(source);
  const split = settings.OPERATOR_PORT !== undefined;
  // Until the client API exists every request goes to Nest; the server does not listen before then.
  let clientApi: ClientApi | undefined;
  let operatorServer: Server | undefined;
  const adapter = new FastifyAdapter({
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: BODY_LIMIT_BYTES,
    serverFactory: (nest: RequestHandler, options: Record<string, unknown>) => {
      const serverOptions: ServerOptions = {
        // A client slow to send its request (slowloris) holds a socket and a file descriptor; every
        // client that does so is cut off, checked each second, before the descriptors run out.
        headersTimeout: settings.HTTP_HEADERS_TIMEOUT * 1000,
        requestTimeout: settings.HTTP_REQUEST_TIMEOUT * 1000,
        connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
        // What Fastify does to a server it creates itself: its keep-alive (72 s) outlives a load
        // balancer's idle timeout (60 s on an ALB), so the balancer never reuses a closed connection.
        keepAliveTimeout: options.keepAliveTimeout as number,
      };
      const server = createServer(serverOptions, (request, response) => {
        const clientPath = clientApi?.routeOf(request);
        if (clientApi && clientPath) clientApi.handle(clientPath, request, response);
        else if (split && !PUBLIC_NEST_PATH.test(request.url ?? '')) notHere(response);
        else nest(request, response);
      });
      if (split) operatorServer = createServer(serverOptions, nest);
      // Beyond this, new connections are closed at once, so that clients can never take the descriptors the probes need.
      server.maxConnections = maxClientConnections(settings.HTTP_MAX_CONNECTIONS, Math.max(settings.MAX_SERVERS, settings.PROBE_CONCURRENCY), openFileLimit());
      return server;
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  clientApi = app.get(ClientApi);
  app.getHttpAdapter().getInstance().addHook('onRequest', securityHeadersHook);
  serveOpenApi(app);
  app.enableShutdownHooks();
  if (operatorServer) {
    const extra = operatorServer;
    operatorServers.set(app, extra);
    app.getHttpAdapter().getInstance().addHook('onClose', async () => {
      extra.closeAllConnections();
      if (extra.listening) await new Promise<void>((resolve) => extra.close(() => resolve()));
    });
  }
  return app;
}

/** Listens on PORT (and OPERATOR_PORT if set), or on the port given (0: any free one). */
export async function listen(app: NestFastifyApplication, port?: number, host?: string): Promise<void> {
  const settings = app.get(Settings);
  await app.listen(port ?? settings.PORT, host ?? settings.HOST);
  const operator = operatorServers.get(app);
  if (operator && settings.OPERATOR_PORT !== undefined) {
    operator.listen(settings.OPERATOR_PORT, settings.OPERATOR_HOST ?? settings.HOST);
    await once(operator, 'listening');
  }
}
