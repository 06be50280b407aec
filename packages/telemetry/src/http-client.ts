import diagnosticsChannel from 'node:diagnostics_channel';
import {
  type Attributes,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { DurationHistogram } from './http-durations';
import { methodOf } from './http-semconv';
import { KitInstrumentation } from './kit-instrumentation';
import { Memo } from './memo';

/** The part of undici's request that its diagnostics channels publish and this instrumentation reads. */
interface UndiciRequest {
  origin: string | URL;
  path: string;
  method: string;
  addHeader(name: string, value: string): unknown;
  [STATE]?: ClientCall;
}

interface ClientCall {
  span: Span;
  started: number;
  method: string;
  target: Target;
  status?: number;
}

interface Target {
  scheme: string;
  address: string;
  port: number | undefined;
}

const STATE = Symbol('qoslab.http-client call');
const CHANNELS = ['undici:request:create', 'undici:request:headers', 'undici:request:trailers', 'undici:request:error'] as const;
const setter: TextMapSetter<UndiciRequest> = { set: (request, key, value) => void request.addHeader(key, value) };

function parseTarget(origin: string): Target {
  const url = new URL(origin);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined;
  return { scheme: url.protocol.slice(0, -1), address: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * Client spans and the http.client.request.duration histogram for fetch (Node's bundled undici), from
 * undici's diagnostics channels: the stable HTTP client attributes (method, server address and port,
 * url.full, status, error.type), url.path, url.query and url.scheme, and the trace context on the
 * outgoing request. What instrumentation-undici gave the kit, with less work per call: each origin is
 * parsed once, the call's state rides on the request object, and the metric's attribute sets are reused.
 */
interface HttpClientInstrumentationConfig extends InstrumentationConfig {
  /** Where http.client.request.duration is recorded (see http-durations.ts); none: not recorded. */
  durations?: DurationHistogram;
}

export class HttpClientInstrumentation extends KitInstrumentation<HttpClientInstrumentationConfig> {
  // Set from the base class's constructor (patch), before field initialisers run.
  declare private handlers: Record<(typeof CHANNELS)[number], (message: unknown) => void> | undefined;
  private readonly targets = new Memo<Target>(64);

  constructor(config: HttpClientInstrumentationConfig = {}) {
    super('@qoslab/instrumentation-http-client', '0.1.0', config);
  }

  protected patch(): void {
    this.handlers ??= {
      'undici:request:create': (message) => this.onCreate((message as { request: UndiciRequest }).request),
      'undici:request:headers': (message) => {
        const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
        const call = request[STATE];
        if (call) call.status = response.statusCode;
      },
      'undici:request:trailers': (message) => this.onEnd((message as { request: UndiciRequest }).request),
      'undici:request:error': (message) => {
        const { request, error } = message as { request: UndiciRequest; error: Error & { code?: string | number } };
        this.onEnd(request, error);
      },
    };
    for (const channel of CHANNELS) diagnosticsChannel.subscribe(channel, this.handlers[channel]);
  }

  protected unpatch(): void {
    if (this.handlers) for (const channel of CHANNELS) diagnosticsChannel.unsubscribe(channel, this.handlers[channel]);
  }

  private onCreate(request: UndiciRequest): void {
    if (request.method === 'CONNECT') return;
    const origin = String(request.origin);
    const target = this.targets.of(origin, () => parseTarget(origin));
    const method = methodOf(request.method);
    const parent = context.active();
    // As in http-server.ts: attributes after the start, and only on a recorded span.
    const span = this.tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: SpanKind.CLIENT }, parent);
    if (span.isRecording()) {
      const { path } = request;
      const queryAt = path.indexOf('?');
      const attributes: Attributes = {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_SERVER_ADDRESS]: target.address,
        [ATTR_SERVER_PORT]: target.port,
        [ATTR_URL_FULL]: `${origin}${path}`,
        [ATTR_URL_SCHEME]: target.scheme,
        [ATTR_URL_PATH]: queryAt === -1 ? path : path.slice(0, queryAt),
      };
      if (queryAt !== -1) attributes[ATTR_URL_QUERY] = path.slice(queryAt + 1);
      if (method === '_OTHER') attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = request.method;
      span.setAttributes(attributes);
    }
    propagation.inject(trace.setSpan(parent, span), request, setter);
    request[STATE] = { span, started: performance.now(), method, target };
  }

  private onEnd(request: UndiciRequest, error?: Error & { code?: string | number }): void {
    const call = request[STATE];
    if (!call) return;
    // Cleared, not deleted: deleting a property turns the request object into a slow dictionary.
    request[STATE] = undefined;
    const { span, status } = call;
    let errorType: string | undefined;
    if (error) {
      // An abort is the caller's decision, not a failure of the call (instrumentation-undici treats it so too).
      if (error.name !== 'AbortError') {
        // A DOMException's code is a number (23 for a TimeoutError); its name is what tells the kind.
        errorType = typeof error.code === 'string' ? error.code : error.name || 'Error';
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      }
    } else if (status !== undefined && status >= 400) {
      errorType = String(status);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    if (status !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (errorType !== undefined) span.setAttribute(ATTR_ERROR_TYPE, errorType);
    span.end();
    const { method, target } = call;
    this.getConfig().durations?.record((performance.now() - call.started) / 1000, `${method} ${target.address} ${target.port} ${status} ${errorType}`, () => {
      const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_SERVER_ADDRESS]: target.address, [ATTR_SERVER_PORT]: target.port };
      if (status !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
      if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
      return attributes;
    });
  }
}
