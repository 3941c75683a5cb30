import { INestApplication } from '@nestjs/common';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Logger } from 'nestjs-pino';
import { answerClientErrors, ErrorBodyFormat, nestErrorBody } from './client-errors';
import { trackForGracefulStop } from './graceful-stop';

export interface ListenOptions {
  /** Error body for requests Node's HTTP parser refuses (default: the NestJS shape). */
  errorBody?: ErrorBodyFormat;
  /**
   * Runs when a stop signal arrives, before the HTTP server drains: long-lived connections
   * the drain would wait for (the proxy's WebSockets) are closed here.
   */
  beforeDrain?: () => Promise<void>;
}

/** Longest a graceful stop may take before the process exits anyway. */
export const SHUTDOWN_LIMIT_MS = 15_000;

/**
 * Listens, logs where, and makes SIGTERM/SIGINT stop the server cleanly: the listener closes
 * and every connection is drained without a reset (see trackForGracefulStop), so the shutdown
 * hooks that app.close() runs next (the usage recorder spools and flushes there) see every row;
 * then the process exits with status 0. A second signal, or a stop that takes longer than
 * SHUTDOWN_LIMIT_MS, exits at once with status 1.
 */
export async function listen(app: INestApplication, name: string, host: string, port: number, options: ListenOptions = {}): Promise<void> {
  const logger = app.get(Logger);
  const graceful = trackForGracefulStop(app.getHttpServer() as Server);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${name}: second ${signal}, exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.log(`${name}: ${signal} received, shutting down`);
    const force = setTimeout(() => {
      logger.error(`${name}: shutdown took longer than ${SHUTDOWN_LIMIT_MS} ms, exiting`);
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    force.unref();
    Promise.resolve()
      .then(() => options.beforeDrain?.())
      .then(() => graceful.drain())
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error(`${name}: error while shutting down: ${err instanceof Error ? err.message : String(err)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  answerClientErrors(app.getHttpServer() as Server, options.errorBody ?? nestErrorBody);

  await app.listen(port, host);
  const address = app.getHttpServer().address() as AddressInfo;
  logger.log(`${name} listening on http://${host}:${address.port}`);
  // Machine-readable line for the test harness and scripts that start on port 0.
  if (process.env['LMB_REPORT_PORT'] === '1') process.stdout.write(`LMB_LISTENING ${name} ${address.port}\n`);
}
