import { diag } from '@opentelemetry/api';

/**
 * The standard OTEL_* variables the kit's SDK set-up honours, read in one place. The set-up builds
 * only what these ask for, so a service does not load exporters it will never use (gRPC, Zipkin,
 * Prometheus): that was most of the start-up cost of the generic NodeSDK. docs/pipeline.md lists them.
 */
export interface TelemetryConfig {
  traces: { exporter: 'otlp' | 'console' | 'none'; protocol: OtlpProtocol };
  metrics: { exporter: 'otlp' | 'console' | 'none'; protocol: OtlpProtocol; intervalMs: number; timeoutMs: number };
  sampler: { name: SamplerName; ratio: number };
  batch: { maxQueueSize?: number; maxExportBatchSize?: number; scheduledDelayMillis?: number; exportTimeoutMillis?: number };
  spanLimits: { attributeCountLimit?: number; attributeValueLengthLimit?: number; eventCountLimit?: number; linkCountLimit?: number };
  propagators: ('tracecontext' | 'baggage')[];
}

type OtlpProtocol = 'http/protobuf' | 'http/json';
type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

const SAMPLERS: SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function count(env: Env, ...names: string[]): number | undefined {
  for (const name of names) {
    const value = text(env, name);
    if (value === undefined) continue;
    const number = Number(value);
    if (Number.isInteger(number) && number >= 0) return number;
    diag.warn(`${name}="${value}" is not a non-negative integer; ignored`);
  }
  return undefined;
}

function exporter(env: Env, name: string): 'otlp' | 'console' | 'none' {
  const values = (text(env, name) ?? 'otlp').split(',').map((value) => value.trim().toLowerCase());
  if (values.includes('none')) return 'none';
  const known = values.find((value) => value === 'otlp' || value === 'console') as 'otlp' | 'console' | undefined;
  if (!known || values.length > 1) diag.warn(`${name}="${values.join(',')}": the kit supports one of otlp, console, none; using ${known ?? 'otlp'}`);
  return known ?? 'otlp';
}

function protocol(env: Env, signal: 'TRACES' | 'METRICS'): OtlpProtocol {
  const value = text(env, `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`) ?? text(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
  if (value === 'http/protobuf' || value === 'http/json') return value;
  diag.warn(`OTLP protocol "${value}" is not supported by the kit (OTLP over HTTP only); using http/protobuf`);
  return 'http/protobuf';
}

export function readTelemetryConfig(env: Env = process.env): TelemetryConfig {
  const samplerValue = (text(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  const sampler = SAMPLERS.includes(samplerValue as SamplerName) ? (samplerValue as SamplerName) : undefined;
  if (!sampler) diag.warn(`OTEL_TRACES_SAMPLER="${samplerValue}" is not supported; using parentbased_always_on`);
  const ratioText = text(env, 'OTEL_TRACES_SAMPLER_ARG');
  const ratio = ratioText === undefined ? 1 : Number(ratioText);
  const validRatio = Number.isFinite(ratio) && ratio >= 0 && ratio <= 1;
  if (!validRatio) diag.warn(`OTEL_TRACES_SAMPLER_ARG="${ratioText}" is not a ratio in [0, 1]; using 1`);

  const propagators = (text(env, 'OTEL_PROPAGATORS') ?? 'tracecontext,baggage')
    .split(',')
    .map((value) => value.trim().toLowerCase())
    .filter((value): value is 'tracecontext' | 'baggage' => {
      if (value === 'tracecontext' || value === 'baggage') return true;
      if (value !== 'none') diag.warn(`OTEL_PROPAGATORS: "${value}" is not supported by the kit; skipped`);
      return false;
    });

  const intervalMs = count(env, 'OTEL_METRIC_EXPORT_INTERVAL') ?? 60_000;
  return {
    traces: { exporter: exporter(env, 'OTEL_TRACES_EXPORTER'), protocol: protocol(env, 'TRACES') },
    metrics: {
      exporter: exporter(env, 'OTEL_METRICS_EXPORTER'),
      protocol: protocol(env, 'METRICS'),
      intervalMs,
      timeoutMs: Math.min(count(env, 'OTEL_METRIC_EXPORT_TIMEOUT') ?? 30_000, intervalMs),
    },
    sampler: { name: sampler ?? 'parentbased_always_on', ratio: validRatio ? ratio : 1 },
    batch: {
      maxQueueSize: count(env, 'OTEL_BSP_MAX_QUEUE_SIZE'),
      maxExportBatchSize: count(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
      scheduledDelayMillis: count(env, 'OTEL_BSP_SCHEDULE_DELAY'),
      exportTimeoutMillis: count(env, 'OTEL_BSP_EXPORT_TIMEOUT'),
    },
    spanLimits: {
      attributeCountLimit: count(env, 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'),
      attributeValueLengthLimit: count(env, 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
      eventCountLimit: count(env, 'OTEL_SPAN_EVENT_COUNT_LIMIT'),
      linkCountLimit: count(env, 'OTEL_SPAN_LINK_COUNT_LIMIT'),
    },
    propagators,
  };
}
