export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (enough of it for the Collector's own metrics). */
export function parseExposition(text: string): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[label[1] as string] = label[2] as string;
    const name = match[1] as string;
    const samples = out.get(name) ?? [];
    samples.push({ labels, value: Number(match[4]) });
    out.set(name, samples);
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
