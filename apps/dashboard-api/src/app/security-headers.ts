import helmet from 'helmet';

/**
 * helmet with a Content-Security-Policy the Angular production build satisfies: scripts
 * and styles come from our origin only (critical-CSS inlining is off in the build because
 * it relies on an inline onload handler); Angular and Swagger UI set inline styles.
 */
export function securityHeaders() {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
    // The dashboard may be served over plain HTTP on a LAN; HSTS is the TLS proxy's job.
    strictTransportSecurity: false,
  });
}
