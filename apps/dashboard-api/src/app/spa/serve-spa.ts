import { LoggerService } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Paths the API owns; everything else that asks for HTML is the SPA. */
const API_PREFIXES = ['/api/', '/api', '/docs', '/docs-json', '/metrics', '/readyz', '/healthz'];
// Angular's production build names bundles like main-ABCDEF12.js: safe to cache forever.
const HASHED_ASSET = /-[A-Z0-9]{8}\.(js|css|mjs)$/;

/** Where the built SPA is: LMB_WEB_DIST, or dist/apps/dashboard-web/browser beside this server. */
export function spaRoot(): string {
  return resolve(process.env['LMB_WEB_DIST'] ?? join(__dirname, '..', 'dashboard-web', 'browser'));
}

function isApiPath(path: string): boolean {
  return API_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
}

/**
 * Serves the built dashboard-web: hashed assets with a one-year immutable cache, index.html
 * never cached, and index.html for any other GET that accepts HTML (deep links, reloads).
 */
export function serveSpa(app: NestExpressApplication, logger: LoggerService): void {
  const root = spaRoot();
  const index = join(root, 'index.html');
  if (!existsSync(index)) {
    logger.warn(`dashboard-web is not built (${index} missing): run "npm run build"; / and the app's pages answer 404`, 'Spa');
    return;
  }
  logger.log(`serving dashboard-web from ${root}`, 'Spa');
  app.use(
    express.static(root, {
      index: false,
      // The root may sit under a dot-directory; serve-static checks dot segments of the
      // request path only, and asset names have none.
      setHeaders: (res, path) => {
        res.setHeader('Cache-Control', HASHED_ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    }),
  );
  app.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isApiPath(req.path) || !req.accepts('html')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    // `root`: send checks only the relative part for dot segments, so an install under a
    // dot-directory (~/.local/src/…) still serves the SPA; the file name is fixed here.
    res.sendFile('index.html', { root }, (err?: Error) => {
      if (err && !res.headersSent) {
        logger.error(`cannot send ${index}: ${err.message}`, 'Spa');
        next(err);
      }
    });
  });
}
