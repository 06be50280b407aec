import type { IncomingMessage } from 'node:http';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

export const PROBE_PATHS = new Set(['/healthz', '/readyz']);

function isProbe(request: IncomingMessage): boolean {
  const path = request.url?.split('?', 1)[0];
  return path !== undefined && PROBE_PATHS.has(path);
}

/**
 * The curated set: what the shop's traces and metrics need, nothing else (each instrumentation loaded
 * costs start-up time; see docs/performance.md).
 */
export function curatedInstrumentations() {
  return [
    new HttpInstrumentation({ ignoreIncomingRequestHook: isProbe }),
    // Middleware layers add a span per app.use(); the route handler and router spans carry http.route.
    new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
    new UndiciInstrumentation(),
    new PgInstrumentation({ ignoreConnectSpans: true }),
    // Logs are not exported over OTLP; the instrumentation only adds trace_id/span_id to log lines.
    new PinoInstrumentation({ disableLogSending: true }),
    new RuntimeNodeInstrumentation(),
  ];
}
