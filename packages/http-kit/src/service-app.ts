import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from '@qoslab/logger';
import { errorHandler, notFound, sendProblem } from './error-handler';
import { HttpError, statusTitle } from './errors';
import { faultInjection } from './fault-injection';
import type { Readiness } from './readiness';
import { requestContext } from './request-context';
import { PROBLEM_TYPES } from '@qoslab/contracts';

export interface ServiceAppOptions {
  /** The service's name, as used in `x-fault-inject`. */
  service: string;
  logger: Logger;
  readiness: Readiness;
  faultInjectionEnabled?: boolean;
  /** JSON body limit; larger bodies get a 413 problem. */
  bodyLimit?: string;
}

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'content-security-policy':
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
      "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  });
  next();
};

function requireJsonBody(): RequestHandler {
  return (req, _res, next) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/json')) {
      return next(new HttpError(415, statusTitle(415), 'Send the body as application/json.'));
    }
    // JSON is UTF-8 (RFC 8259). The body parser would also decode UTF-7 or UTF-16, so the same bytes
    // could mean one thing to a filter in front and another to the service.
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.get('content-type') ?? '')?.[1]?.toLowerCase();
    if (hasBody && charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      return next(new HttpError(415, statusTitle(415), 'Send the body as UTF-8 JSON.'));
    }
    next();
  };
}

/**
 * An Express app with what every service shares, in order: security headers, request context,
 * probes, body parsing, fault injection; then the service's routes; then 404 and the error middleware.
 * It does not listen: see `serve`.
 */
export function createServiceApp(options: ServiceAppOptions, routes: (app: Express) => void): Express {
  const { logger, readiness } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(securityHeaders);
  app.use((_req, _res, next) => requestContext.run({}, next));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const problems = await readiness.problems();
    if (problems.length === 0) {
      res.json({ status: 'ready' });
      return;
    }
    sendProblem(res, { type: PROBLEM_TYPES.notReady, title: 'Not ready', status: 503, detail: problems.join('; ') });
  });

  app.use(requireJsonBody());
  app.use(express.json({ limit: options.bodyLimit ?? '16kb', strict: true }));
  if (options.faultInjectionEnabled) app.use(faultInjection(options.service));

  routes(app);

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
