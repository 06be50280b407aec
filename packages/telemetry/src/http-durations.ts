import { type Attributes, type HrTime, ValueType } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  DataPointType,
  type HistogramMetricData,
  type MetricProducer,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import { METRIC_HTTP_CLIENT_REQUEST_DURATION, METRIC_HTTP_SERVER_REQUEST_DURATION } from '@opentelemetry/semantic-conventions';
import { DURATION_BUCKETS } from './http-semconv';

interface Series {
  attributes: Attributes;
  counts: number[];
  count: number;
  sum: number;
  min: number;
  max: number;
  start: HrTime;
}

// As the SDK does: past this many attribute sets, measurements go to one overflow series.
const CARDINALITY_LIMIT = 2000;
const OVERFLOW = 'otel.metric.overflow';

/**
 * One histogram with the stable HTTP conventions' buckets, aggregated here rather than through a Meter:
 * each series is found by a key the instrumentation builds from the few values it varies by, where the
 * SDK's record() hashes the whole attribute set (sorts its keys, serialises it) on every call. The
 * attribute set is built once per series.
 */
export class DurationHistogram {
  private readonly series = new Map<string, Series>();
  enabled = false;

  constructor(
    private readonly scope: { name: string; version: string },
    private readonly name: string,
    private readonly description: string,
  ) {}

  record(seconds: number, key: string, attributes: () => Attributes): void {
    if (!this.enabled) return;
    let series = this.series.get(key);
    if (!series) {
      const overflow = this.series.size >= CARDINALITY_LIMIT - 1;
      const id = overflow ? OVERFLOW : key;
      series = this.series.get(id) ?? this.add(id, overflow ? { [OVERFLOW]: true } : attributes());
    }
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[bucket] as number)) bucket++;
    series.counts[bucket] = (series.counts[bucket] as number) + 1;
    series.count++;
    series.sum += seconds;
    if (seconds < series.min) series.min = seconds;
    if (seconds > series.max) series.max = seconds;
  }

  private add(key: string, attributes: Attributes): Series {
    const series = { attributes, counts: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), count: 0, sum: 0, min: Infinity, max: -Infinity, start: hrTime() };
    this.series.set(key, series);
    return series;
  }

  collect(temporality: AggregationTemporality, now: HrTime): ScopeMetrics | undefined {
    const points = [...this.series.values()].filter((series) => series.count > 0);
    if (points.length === 0) return undefined;
    const metric: HistogramMetricData = {
      descriptor: { name: this.name, description: this.description, unit: 's', valueType: ValueType.DOUBLE },
      aggregationTemporality: temporality,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: points.map((series) => ({
        attributes: series.attributes,
        startTime: series.start,
        endTime: now,
        value: {
          buckets: { boundaries: DURATION_BUCKETS, counts: [...series.counts] },
          count: series.count,
          sum: series.sum,
          min: series.min,
          max: series.max,
        },
      })),
    };
    if (temporality === AggregationTemporality.DELTA) this.series.clear();
    return { scope: this.scope, metrics: [metric] };
  }
}

/**
 * http.server.request.duration and http.client.request.duration, handed to the metric reader as a
 * MetricProducer (the SDK's extension point for metrics aggregated outside its Meters). They record
 * nothing until a reader is attached: with no metrics exporter, the instrumentations pay nothing for them.
 */
export class HttpDurations implements MetricProducer {
  readonly server = new DurationHistogram({ name: '@qoslab/instrumentation-http-server', version: '0.1.0' }, METRIC_HTTP_SERVER_REQUEST_DURATION, 'Duration of HTTP server requests.');
  readonly client = new DurationHistogram({ name: '@qoslab/instrumentation-http-client', version: '0.1.0' }, METRIC_HTTP_CLIENT_REQUEST_DURATION, 'Duration of HTTP client requests.');
  private temporality = AggregationTemporality.CUMULATIVE;

  /** Starts recording, with the temporality the reader's exporter asks for histograms. */
  attach(temporality: AggregationTemporality): void {
    this.temporality = temporality;
    this.server.enabled = true;
    this.client.enabled = true;
  }

  async collect(): Promise<CollectionResult> {
    const now = hrTime();
    const scopeMetrics = [this.server, this.client].flatMap((histogram) => histogram.collect(this.temporality, now) ?? []);
    return { resourceMetrics: { resource: emptyResource(), scopeMetrics }, errors: [] };
  }
}
