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
 * JSON lines with ISO timestamps and textual levels. trace_id and span_id are added to each line by the
 * pino instrumentation of the telemetry register module when a span is active.
 */
export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: { service: config.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}
