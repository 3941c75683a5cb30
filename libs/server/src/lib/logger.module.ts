import { IncomingMessage } from 'node:http';
import type { RouteInfo } from '@nestjs/common/interfaces';
import { LoggerModule } from 'nestjs-pino';
import type { Options } from 'pino-http';

/**
 * Paths pino must never print: credentials travel in these headers. Tokens, passwords and
 * session ids are never logged anywhere else either.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/** pino-http options shared by both servers; LOG_LEVEL overrides the level. */
export function pinoHttpOptions(name: string, env: NodeJS.ProcessEnv = process.env): Options {
  const pretty = env['NODE_ENV'] !== 'production' && process.stdout.isTTY;
  return {
    name,
    level: env['LOG_LEVEL'] ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    transport: pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
    // Health checks would drown the log.
    autoLogging: { ignore: (req: IncomingMessage) => req.url === '/healthz' || req.url === '/api/status' },
    quietReqLogger: true,
  };
}

/**
 * nestjs-pino: JSON lines in production, pretty when a person watches a terminal. Tests pass
 * a stream to capture every line (and check that no secret is in them). `exclude` lists
 * routes that get no per-request access log (the proxy's hot path, which records every
 * request in usage_logs instead).
 */
export function loggerModule(name: string, stream?: NodeJS.WritableStream, exclude: RouteInfo[] = []) {
  const options = pinoHttpOptions(name);
  return LoggerModule.forRoot({ pinoHttp: stream ? [{ ...options, transport: undefined }, stream as never] : options, exclude });
}
