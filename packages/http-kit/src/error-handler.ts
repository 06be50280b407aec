import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '@qoslab/logger';
import { HttpError, NotFoundError, type ProblemDetails, statusTitle } from './errors';

const BODY_PARSER_ERRORS: Record<string, [number, string]> = {
  'entity.parse.failed': [400, 'The body is not valid JSON.'],
  'entity.too.large': [413, 'The body is too large.'],
  'encoding.unsupported': [415, 'The content encoding is not supported.'],
  'charset.unsupported': [415, 'The charset is not supported.'],
  'request.aborted': [400, 'The request was aborted.'],
  'request.size.invalid': [400, 'The body size does not match Content-Length.'],
  'parameters.too.many': [413, 'Too many parameters.'],
};

export function sendProblem(res: Response, problem: ProblemDetails): void {
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

/** Normalises anything thrown into an HttpError; unknown errors become a 500 that reveals nothing. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const candidate = error as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown };
  const status = Number(candidate?.status ?? candidate?.statusCode);
  if (Number.isInteger(status) && status >= 400 && status < 500) {
    const known = typeof candidate.type === 'string' ? BODY_PARSER_ERRORS[candidate.type] : undefined;
    const [mapped, detail] = known ?? [status, candidate.expose && error instanceof Error ? error.message : undefined];
    return new HttpError(mapped, statusTitle(mapped), detail);
  }
  return new HttpError(500, statusTitle(500), 'The server could not complete the request.');
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`No route for ${req.method} ${req.path}`));
};

/**
 * The one error middleware: problem+json for every error. 5xx are span errors and logged with their
 * stack; 4xx are the client's mistake, not the service's, so the span status stays unset.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const httpError = toHttpError(error);
    if (httpError.status >= 500) {
      const span = trace.getActiveSpan();
      if (error instanceof Error) span?.recordException(error);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: httpError.detail ?? httpError.title });
      logger.error({ err: error, method: req.method, path: req.path, status: httpError.status }, httpError.detail ?? httpError.title);
    } else {
      logger.debug({ method: req.method, path: req.path, status: httpError.status }, httpError.detail ?? httpError.title);
    }
    sendProblem(res, httpError.toProblem());
  };
}
