import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerConfig {
  /** Becomes the `service` field of every line. */
  service: string;
  level?: LoggerOptions['level'];
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

/** Paths never written to logs, wherever a request or error object puts them. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.card',
  '*.cardNumber',
  '*.cvc',
  'card',
  'password',
  '*.password',
];

/**
 * The active span's ids, the fields instrumentation-pino writes, read through @opentelemetry/api: without
 * the telemetry register module (or with OTEL_SDK_DISABLED=true) no span is ever active, so no fields.
 * Written here rather than by instrumentation-pino, whose base class hooks every require of the process
 * and so slows every service's start-up (docs/performance.md).
 */
function traceContext(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId, trace_flags: `0${spanContext.traceFlags.toString(16)}` };
}

/** JSON lines with ISO timestamps and textual levels, and trace_id and span_id when a span is active. */
export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: { service: config.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: traceContext,
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}
