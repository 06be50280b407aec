import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/**
 * The samples of a Prometheus text exposition, by series name: counters and gauges as they are, the
 * _count and _sum of histograms and summaries (their buckets and quantiles are not needed here).
 */
export function parseExposition(text: string): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  const add = (name: string, labels: Record<string, string> | undefined, value: string | undefined) => {
    if (value === undefined) return;
    out.set(name, [...(out.get(name) ?? []), { labels: labels ?? {}, value: Number(value) }]);
  };
  // The parser drops a last line without its newline.
  for (const family of parsePrometheusTextFormat(text.endsWith('\n') ? text : `${text}\n`)) {
    for (const metric of family.metrics) {
      if ('value' in metric) {
        add(family.name, metric.labels, metric.value);
      } else {
        add(`${family.name}_count`, metric.labels, metric.count);
        add(`${family.name}_sum`, metric.labels, metric.sum);
      }
    }
  }
  return out;
}

/** The Collector's own metrics (service::telemetry, port 8888). */
export class CollectorMetrics {
  constructor(private readonly samples: Map<string, Sample[]>) {}

  static async scrape(url: string): Promise<CollectorMetrics> {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return new CollectorMetrics(parseExposition(await response.text()));
  }

  /**
   * Sum of a metric over the series whose labels match. Counters are found with or without a _total
   * suffix (it depends on the Collector's version); a counter that has counted nothing yet is absent: 0.
   */
  sum(name: string, labels: Record<string, string> = {}): number {
    const series = this.samples.get(`${name}_total`) ?? this.samples.get(name) ?? [];
    return series
      .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
      .reduce((total, sample) => total + sample.value, 0);
  }

  has(name: string): boolean {
    return this.samples.has(name) || this.samples.has(`${name}_total`);
  }
}
