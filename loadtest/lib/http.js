// Every request the scripts send goes through `send`: it starts a new W3C trace (random trace id and
// span id, sampled), marks the traffic as synthetic with baggage, records the trace and span ids as
// sample metadata (in `--out json` points, without becoming tags: one series per trace id would swamp
// Prometheus), and logs the trace id of unexpected responses so they can be looked up in Jaeger.
import http from 'k6/http';
import exec from 'k6/execution';
import { randomBytes } from 'k6/crypto';
import { envNumber } from './config.js';

const SYNTHETIC_BAGGAGE = 'synthetic=true,load.source=k6';

const FAILURE_LOG_LIMIT = envNumber('FAILURE_LOG_LIMIT', 5, { max: 1000 });
let failuresLogged = 0;
let lastTrace;

export function randomHex(bytes) {
  const view = new Uint8Array(randomBytes(bytes));
  let hex = '';
  for (const byte of view) hex += (byte < 16 ? '0' : '') + byte.toString(16);
  return hex;
}

/** A fresh trace context; W3C forbids all-zero ids, so those (vanishingly rare) are drawn again. */
function newTraceContext() {
  let traceId = randomHex(16);
  while (/^0+$/.test(traceId)) traceId = randomHex(16);
  let spanId = randomHex(8);
  while (/^0+$/.test(spanId)) spanId = randomHex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

function setMetadata(key, value) {
  // exec.vu is only there inside VU code (not in init); metadata is best effort.
  try {
    if (value === undefined) delete exec.vu.metrics.metadata[key];
    else exec.vu.metrics.metadata[key] = value;
  } catch {
    // no VU state: nothing to annotate
  }
}

/**
 * Sends one traced request. `expect` lists the statuses that count as success (they decide
 * `http_req_failed` through a response callback); `tags` should include a low-cardinality `step`;
 * `name` is the URL template for URLs with ids in them (`/api/orders/:id`), since the `name` tag
 * becomes a Prometheus label. Returns the k6 response; `lastTraceId()` is the trace it started.
 */
export function send(method, url, { body, headers = {}, tags = {}, name, expect = [200], timeout = '30s' } = {}) {
  const trace = newTraceContext();
  const params = {
    headers: {
      accept: 'application/json, application/problem+json',
      traceparent: trace.traceparent,
      baggage: SYNTHETIC_BAGGAGE,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    tags: name === undefined ? tags : { ...tags, name },
    timeout,
    responseCallback: http.expectedStatuses(...expect),
  };
  setMetadata('trace_id', trace.traceId);
  setMetadata('span_id', trace.spanId);
  let response;
  try {
    response = http.request(method, url, body === undefined ? null : JSON.stringify(body), params);
  } finally {
    setMetadata('trace_id', undefined);
    setMetadata('span_id', undefined);
  }
  lastTrace = trace.traceId;
  if (!expect.includes(response.status) && failuresLogged < FAILURE_LOG_LIMIT) {
    failuresLogged += 1;
    const reason = response.error ? ` (${response.error})` : '';
    console.warn(`unexpected ${response.status}${reason} for ${method} ${tags.step ?? url}: trace_id=${trace.traceId}`);
  }
  return response;
}

/** The trace id of this VU's latest request. */
export function lastTraceId() {
  return lastTrace;
}

/** The JSON body, or undefined when it is not JSON. */
export function json(response) {
  try {
    return response.json();
  } catch {
    return undefined;
  }
}

export function isProblem(response, status) {
  const body = json(response);
  return (
    response.status === status &&
    /^application\/problem\+json/.test(response.headers['Content-Type'] ?? '') &&
    typeof body === 'object' &&
    body !== null &&
    body.status === status &&
    typeof body.title === 'string' &&
    typeof body.type === 'string'
  );
}
