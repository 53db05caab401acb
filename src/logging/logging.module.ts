import { Module, RequestMethod } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { Settings } from '../config/settings';

/**
 * Structured JSON logs (pino). Requests log at debug when they succeed and louder when they
 * fail. Only method, URL and status of a request are logged: headers (Authorization among them)
 * never are. The game client endpoints are answered outside Nest (see ClientApi) and not logged:
 * they are the hot path, and their outcomes are counted in /metrics instead. Only the methods
 * they refuse reach Nest, and are logged as any refused request is.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [Settings],
      useFactory: (settings: Settings) => ({
        forRoutes: [{ path: '*path', method: RequestMethod.ALL }],
        pinoHttp: {
          level: settings.LOG_LEVEL,
          customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) => {
            if (error || res.statusCode >= 500) return res.statusCode === 503 ? 'warn' : 'error';
            return res.statusCode >= 400 ? 'info' : 'debug';
          },
          serializers: {
            req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
            res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          },
          redact: { paths: ['req.headers', 'res.headers'], remove: true },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
