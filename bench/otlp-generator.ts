// Sends OTLP/HTTP (protobuf) traces to a Collector at a fixed rate for a fixed time, in its own process,
// and prints one line of JSON: what it sent and what the Collector accepted or refused.
//
//   node --import tsx bench/otlp-generator.ts --endpoint http://127.0.0.1:4318 --rate 5000 --duration 20
//
// Each trace looks like one request through the shop: a gateway SERVER span, its undici CLIENT span and
// the catalog SERVER span it caused, with the attributes the curated instrumentations set, from two
// resources, so redaction, span metrics and the service graph do their usual work. A request carries up
// to 510 spans (the SDK's batch processor exports at most 512). The body is encoded once by the SDK's
// own serializer; each request copies it and writes fresh trace ids, span ids and timestamps into it.
import { randomBytes, randomFillSync, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { type HrTime, type SpanContext, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

const SPANS_PER_TRACE = 3;
const MAX_SPANS_PER_REQUEST = 510;

interface Template {
  body: Buffer;
  spans: number;
  /** Byte offsets of each trace id (every span of the trace) and of each span id (its own and as a parent). */
  traceIdOffsets: number[][];
  spanIdOffsets: number[][];
  /** Offsets of every start/end timestamp, with its distance in ns from the first start time. */
  times: { offset: number; deltaNs: bigint }[];
}

function resource(service: string, port: number): Resource {
  return resourceFromAttributes({
    'service.name': service,
    'service.version': '0.1.0',
    'service.instance.id': randomUUID(),
    'deployment.environment.name': 'native',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.version': '3.1.0',
    'host.name': 'bench-host',
    'host.arch': 'amd64',
    'os.type': 'linux',
    'process.pid': 4000 + port,
    'process.executable.name': 'node',
    'process.runtime.name': 'nodejs',
    'process.runtime.version': '24.19.0',
    'process.command': `/app/services/${service}/dist/main.js`,
  });
}

const toNs = (time: HrTime): bigint => BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
const fromNs = (ns: bigint): HrTime => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];

function span(fields: {
  name: string;
  kind: SpanKind;
  context: SpanContext;
  parent?: SpanContext;
  startNs: bigint;
  durationNs: bigint;
  attributes: ReadableSpan['attributes'];
  resource: Resource;
  scope: string;
}): ReadableSpan {
  return {
    name: fields.name,
    kind: fields.kind,
    spanContext: () => fields.context,
    parentSpanContext: fields.parent,
    startTime: fromNs(fields.startNs),
    endTime: fromNs(fields.startNs + fields.durationNs),
    duration: fromNs(fields.durationNs),
    status: { code: SpanStatusCode.UNSET },
    attributes: fields.attributes,
    links: [],
    events: [],
    ended: true,
    resource: fields.resource,
    instrumentationScope: { name: fields.scope, version: '0.301.0' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

function offsetsOf(haystack: Buffer, needle: Buffer): number[] {
  const found: number[] = [];
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) found.push(at);
  return found;
}

function buildTemplate(traces: number): Template {
  const gateway = resource('gateway', 8080);
  const catalog = resource('catalog', 8081);
  const spans: ReadableSpan[] = [];
  const traceIds: Buffer[] = [];
  const spanIds: { id: Buffer; uses: number }[] = [];
  const times: bigint[] = [];
  const baseNs = BigInt(Date.now()) * 1_000_000n;
  const context = (traceId: Buffer, spanId: Buffer): SpanContext => ({
    traceId: traceId.toString('hex'),
    spanId: spanId.toString('hex'),
    traceFlags: TraceFlags.SAMPLED,
  });
  for (let t = 0; t < traces; t++) {
    const traceId = randomBytes(16);
    const [serverId, clientId, catalogId] = [randomBytes(8), randomBytes(8), randomBytes(8)] as [Buffer, Buffer, Buffer];
    traceIds.push(traceId);
    spanIds.push({ id: serverId, uses: 2 }, { id: clientId, uses: 2 }, { id: catalogId, uses: 1 });
    // Distinct start times (1 µs apart per trace) so each timestamp can be found in the encoded body.
    const start = baseNs + BigInt(t) * 1000n;
    const server = context(traceId, serverId);
    const client = context(traceId, clientId);
    spans.push(
      span({
        name: 'GET /api/products',
        kind: SpanKind.SERVER,
        context: server,
        startNs: start,
        durationNs: 4_000_000n + BigInt(t),
        resource: gateway,
        scope: '@qoslab/instrumentation-http-server',
        attributes: {
          'http.request.method': 'GET',
          'url.scheme': 'http',
          'url.path': '/api/products',
          'http.route': '/api/products',
          'http.response.status_code': 200,
          'server.address': '127.0.0.1',
          'server.port': 8080,
          'network.protocol.version': '1.1',
          'network.peer.address': '127.0.0.1',
          'network.peer.port': 51234,
          'client.address': '127.0.0.1',
          'user_agent.original': 'k6/1.7.1 (https://k6.io/)',
        },
      }),
      span({
        name: 'GET',
        kind: SpanKind.CLIENT,
        context: client,
        parent: server,
        startNs: start + 300_000n,
        durationNs: 3_000_000n + BigInt(t),
        resource: gateway,
        scope: '@opentelemetry/instrumentation-undici',
        attributes: {
          'http.request.method': 'GET',
          'url.full': 'http://127.0.0.1:8081/products',
          'url.path': '/products',
          'url.scheme': 'http',
          'server.address': '127.0.0.1',
          'server.port': 8081,
          'network.peer.address': '127.0.0.1',
          'network.peer.port': 8081,
          'http.response.status_code': 200,
        },
      }),
      span({
        name: 'GET /products',
        kind: SpanKind.SERVER,
        context: context(traceId, catalogId),
        parent: client,
        startNs: start + 600_000n,
        durationNs: 2_000_000n + BigInt(t),
        resource: catalog,
        scope: '@qoslab/instrumentation-http-server',
        attributes: {
          'http.request.method': 'GET',
          'url.scheme': 'http',
          'url.path': '/products',
          'http.route': '/products',
          'http.response.status_code': 200,
          'server.address': '127.0.0.1',
          'server.port': 8081,
          'network.protocol.version': '1.1',
          'network.peer.address': '127.0.0.1',
          'network.peer.port': 51236,
          'client.address': '127.0.0.1',
          'user_agent.original': 'node',
        },
      }),
    );
  }
  for (const one of spans) times.push(toNs(one.startTime), toNs(one.endTime));

  const encoded = ProtobufTraceSerializer.serializeRequest(spans);
  if (!encoded) throw new Error('the OTLP serializer returned nothing');
  const body = Buffer.from(encoded);
  const traceIdOffsets = traceIds.map((id) => offsetsOf(body, id));
  const spanIdOffsets = spanIds.map(({ id }) => offsetsOf(body, id));
  if (traceIdOffsets.some((offsets) => offsets.length !== SPANS_PER_TRACE) || spanIdOffsets.some((offsets, i) => offsets.length !== spanIds[i]?.uses)) {
    throw new Error('could not locate every trace and span id in the encoded template');
  }
  const timeOffsets = times.map((ns) => {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64LE(ns);
    const offsets = offsetsOf(body, bytes);
    if (offsets.length !== 1) throw new Error(`timestamp ${ns} occurs ${offsets.length} times in the template`);
    return { offset: offsets[0] as number, deltaNs: ns - baseNs };
  });
  return { body, spans: spans.length, traceIdOffsets, spanIdOffsets, times: timeOffsets };
}

/** A fresh copy of the template: new ids, timestamps starting now. */
function instantiate(template: Template, random: Buffer): Buffer {
  const body = Buffer.from(template.body);
  randomFillSync(random);
  let cursor = 0;
  for (const offsets of template.traceIdOffsets) {
    for (const offset of offsets) random.copy(body, offset, cursor, cursor + 16);
    cursor += 16;
  }
  for (const offsets of template.spanIdOffsets) {
    for (const offset of offsets) random.copy(body, offset, cursor, cursor + 8);
    cursor += 8;
  }
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  for (const { offset, deltaNs } of template.times) body.writeBigUInt64LE(nowNs + deltaNs, offset);
  return body;
}

interface Summary {
  targetSpansPerSecond: number;
  durationSeconds: number;
  spansPerRequest: number;
  requests: number;
  sentSpans: number;
  acceptedSpans: number;
  /** Spans in requests answered with anything but 200, by status (or by error for failed requests). */
  rejected: Record<string, number>;
  achievedSpansPerSecond: number;
  /** Requests that could not leave on time because maxInFlight requests were still waiting for answers. */
  lateRequests: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      endpoint: { type: 'string', default: 'http://127.0.0.1:4318' },
      rate: { type: 'string' },
      duration: { type: 'string', default: '10' },
      'max-in-flight': { type: 'string', default: '16' },
    },
  });
  const rate = Number(values.rate);
  const duration = Number(values.duration);
  const maxInFlight = Number(values['max-in-flight']);
  if (!Number.isFinite(rate) || rate <= 0) throw new Error('--rate must be a positive number of spans per second');
  if (!Number.isFinite(duration) || duration <= 0) throw new Error('--duration must be a positive number of seconds');
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new Error('--max-in-flight must be a positive integer');

  // About 50 requests a second, and never more than the SDK's batch size in one request.
  const traces = Math.max(1, Math.min(MAX_SPANS_PER_REQUEST / SPANS_PER_TRACE, Math.round(rate / SPANS_PER_TRACE / 50)));
  const template = buildTemplate(traces);
  const random = Buffer.alloc(template.traceIdOffsets.length * 16 + template.spanIdOffsets.length * 8);
  const intervalMs = (template.spans / rate) * 1000;
  const url = new URL('/v1/traces', values.endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight });

  const summary: Summary = {
    targetSpansPerSecond: rate,
    durationSeconds: duration,
    spansPerRequest: template.spans,
    requests: 0,
    sentSpans: 0,
    acceptedSpans: 0,
    rejected: {},
    achievedSpansPerSecond: 0,
    lateRequests: 0,
  };
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const send = (body: Buffer): void => {
    inFlight++;
    summary.requests++;
    summary.sentSpans += template.spans;
    const done = (outcome: string) => {
      inFlight--;
      if (outcome === '200') summary.acceptedSpans += template.spans;
      else summary.rejected[outcome] = (summary.rejected[outcome] ?? 0) + template.spans;
      wake?.();
    };
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length }, timeout: 10_000 },
      (res) => {
        res.resume();
        res.once('end', () => done(String(res.statusCode)));
      },
    );
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    req.end(body);
  };

  const started = performance.now();
  const end = started + duration * 1000;
  for (let next = started; next < end; next += intervalMs) {
    const wait = next - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (inFlight >= maxInFlight) {
      summary.lateRequests++;
      while (inFlight >= maxInFlight) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    if (performance.now() >= end) break;
    send(instantiate(template, random));
  }
  const sendingSeconds = (performance.now() - started) / 1000;
  while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  agent.destroy();
  summary.achievedSpansPerSecond = Math.round(summary.sentSpans / Math.max(sendingSeconds, duration));
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`otlp-generator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
