import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request values the service-to-service client forwards, independent of telemetry being on. */
export interface RequestContext {
  faultHeader?: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();
