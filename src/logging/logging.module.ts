import { Module, RequestMethod } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { Settings } from '../config/settings';

/**
 * Structured JSON logs (pino). Requests log at debug when they succeed and louder when they
 * fail; the game client endpoints are not request-logged at all. Only method, URL and status of
 * a request are logged: headers (Authorization among them) never are.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [Settings],
      useFactory: (settings: Settings) => ({
        forRoutes: [{ path: '*path', method: RequestMethod.ALL }],
        // The game client endpoints are the hot path: a logger per request there cost 6-10 % of
        // an allocation's CPU. Their outcomes are counted in /metrics instead.
        exclude: ['available-gameserver', 'available-gameserver/', 'available-gameserver-list', 'available-gameserver-list/'].map((path) => ({
          path,
          method: RequestMethod.GET,
        })),
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
