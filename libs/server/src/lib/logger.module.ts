import { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { RouteInfo } from '@nestjs/common/interfaces';
import { LoggerModule } from 'nestjs-pino';
import type { Options } from 'pino-http';
import { assignRequestId } from './request-id';

/**
 * Paths pino must never print: credentials travel in these headers. Tokens, passwords and
 * session ids are never logged anywhere else either.
 */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'res.headers["set-cookie"]'];

/** Paths that get no access log line: probes and scrapes would drown the log. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/api/status']);

/**
 * Pretty lines when a person watches a terminal, JSON lines otherwise (a pipe, a file, a
 * container log). LOG_FORMAT=json|pretty forces one. pino-pretty is a development
 * dependency: a production install without it logs JSON instead of failing to start.
 */
export function wantsPrettyLogs(env: NodeJS.ProcessEnv, isTTY: boolean, hasPretty: () => boolean = prettyInstalled): boolean {
  const format = env['LOG_FORMAT'];
  if (format === 'json') return false;
  if (format !== 'pretty' && !isTTY) return false;
  return hasPretty();
}

function prettyInstalled(): boolean {
  try {
    // Resolved from this file (dist/apps/<app>/main.js once bundled) as pino resolves it.
    createRequire(__filename).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** pino-http options shared by both servers; LOG_LEVEL overrides the level. */
export function pinoHttpOptions(name: string, env: NodeJS.ProcessEnv = process.env): Options {
  const pretty = wantsPrettyLogs(env, process.stdout.isTTY === true);
  return {
    name,
    level: env['LOG_LEVEL'] ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    transport: pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
    // Health checks would drown the log.
    autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.has((req.url ?? '').split('?')[0]) },
    quietReqLogger: true,
    // The client's sane x-request-id or a new UUID, echoed in the response header; logged
    // as "reqId" on every line of the request.
    genReqId: (req: IncomingMessage, res: ServerResponse) => assignRequestId(req, res),
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
