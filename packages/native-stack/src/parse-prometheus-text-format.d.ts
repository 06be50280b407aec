// The package ships no types; this is the part of its output the kit reads.
declare module 'parse-prometheus-text-format' {
  type Labels = Record<string, string>;
  type Metric = { value: string; labels?: Labels } | { count?: string; sum?: string; labels?: Labels; buckets?: Record<string, string>; quantiles?: Record<string, string> };
  interface MetricFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: Metric[];
  }
  export default function parsePrometheusTextFormat(text: string): MetricFamily[];
}
