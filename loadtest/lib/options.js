// Options every script shares: default thresholds, the trend statistics the summaries report, and a
// latency scale for slower targets (LATENCY_SCALE=2 doubles every latency limit, e.g. on a busy CI box).
import { envNumber } from './config.js';

const TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'];

/** `['p(95)<X', 'p(99)<Y']` in milliseconds, scaled by LATENCY_SCALE. */
export function latency(p95Ms, p99Ms) {
  const scale = envNumber('LATENCY_SCALE', 1, { min: 0.01, max: 1000 });
  const limits = [`p(95)<${Math.round(p95Ms * scale)}`];
  if (p99Ms !== undefined) limits.push(`p(99)<${Math.round(p99Ms * scale)}`);
  return limits;
}

/** Fewer than 1% failed requests and checks, and a whole-run latency ceiling. */
function defaultThresholds() {
  return {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
    http_req_duration: latency(1000, 2000),
  };
}

// k6's default system tags without `url`: tags become Prometheus labels, and a URL with an order id in
// it would make one series per order. The `name` tag carries the URL, or its template where ids vary.
const SYSTEM_TAGS = [
  'proto',
  'subproto',
  'status',
  'method',
  'name',
  'group',
  'check',
  'error',
  'error_code',
  'tls_version',
  'scenario',
  'service',
  'expected_response',
];

/** `defaults: false` leaves out the whole-run thresholds, for a run whose phases each have their own. */
export function buildOptions({ scenarios, thresholds = {}, defaults = true }) {
  return {
    scenarios,
    thresholds: { ...(defaults ? defaultThresholds() : {}), ...thresholds },
    summaryTrendStats: TREND_STATS,
    systemTags: SYSTEM_TAGS,
    userAgent: 'qoslab-k6',
  };
}
