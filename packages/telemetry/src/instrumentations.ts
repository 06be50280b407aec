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
    // Only http.route is wanted from Express: a span per middleware, router and handler would triple
    // the span count, and handlers would see their own span instead of the server span as active.
    new ExpressInstrumentation({
      ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER, ExpressLayerType.REQUEST_HANDLER],
    }),
    new UndiciInstrumentation(),
    new PgInstrumentation({ ignoreConnectSpans: true }),
    // Logs are not exported over OTLP; the instrumentation only adds trace_id/span_id to log lines.
    new PinoInstrumentation({ disableLogSending: true }),
    new RuntimeNodeInstrumentation(),
  ];
}
