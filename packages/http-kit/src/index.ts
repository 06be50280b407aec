export { commonConfig, ConfigError, env, loadConfig, loadConfigOrExit, type CommonConfig } from './config';
export { errorHandler, notFound, sendProblem, toHttpError } from './error-handler';
export {
  ConflictError,
  type FieldIssue,
  HttpError,
  NotFoundError,
  PaymentDeclinedError,
  type ProblemDetails,
  ServiceUnavailableError,
  UpstreamError,
  UnprocessableError,
  UpstreamTimeoutError,
  ValidationError,
} from './errors';
export { FAULT_HEADER, type Fault, parseFaultHeader } from './fault-injection';
export { type Check, Readiness } from './readiness';
export { createHttpServer, serve, type ServeOptions } from './serve';
export { createServiceApp, type ServiceAppOptions } from './service-app';
export { Upstream, type UpstreamOptions, type UpstreamRequest, type UpstreamResponse } from './upstream';
export { parseRequest, type RequestPart } from './validation';
