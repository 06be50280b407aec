import { errorMonitor } from 'node:events';
import * as http from 'node:http';
import {
  type Attributes,
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { DurationHistogram } from './http-durations';
import { methodOf } from './http-semconv';
import { KitInstrumentation } from './kit-instrumentation';
import { Memo } from './memo';

interface HttpServerInstrumentationConfig extends InstrumentationConfig {
  /** Requests answered without a span, and with tracing suppressed below them (probes). */
  ignore?: (path: string) => boolean;
  /** Where http.server.request.duration is recorded (see http-durations.ts); none: not recorded. */
  durations?: DurationHistogram;
}

type Emit = (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
const ROUTE = Symbol('express route');
const ROUTE_TEMPLATE = Symbol('http.route');
type RoutedRequest = http.IncomingMessage & { baseUrl?: string; [ROUTE]?: unknown; [ROUTE_TEMPLATE]?: string };

// Express assigns req.route when a route matches; the mount path (req.baseUrl) is right only at that
// moment, since the router restores it when an error or next() leaves it. An accessor on the prototype
// keeps the template then, with no work per request before it.
const routeProperty: PropertyDescriptor & ThisType<RoutedRequest> = {
  configurable: true,
  get() {
    return this[ROUTE];
  },
  set(route: { path?: unknown } | undefined) {
    this[ROUTE] = route;
    this[ROUTE_TEMPLATE] = typeof route?.path === 'string' ? `${this.baseUrl ?? ''}${route.path}` : undefined;
  },
};

type HostAndPort = readonly [string | undefined, number | undefined];

function hostAndPort(host: string): HostAndPort {
  // [::1]:8080, host:8080, host
  const colon = host.lastIndexOf(':');
  if (colon === -1 || host.endsWith(']')) return [host, 80];
  const port = Number(host.slice(colon + 1));
  return [host.slice(0, colon), Number.isInteger(port) ? port : undefined];
}

/**
 * Server spans and the http.server.request.duration histogram for node:http servers, with the stable
 * HTTP attributes and `http.route` from the route Express matched: what instrumentation-http (server
 * side) and instrumentation-express together gave the kit, for less per request (the benchmark's breakdown
 * measures both, bare-http and upstream-bare-http). It parses no URL, patches no Express layer and binds no event emitter: the
 * handler runs in the span's context, and Express's body parser carries that context across the body's
 * reads itself (raw-body binds its callback), so a handler after it still sees the span. A handler that
 * listens to the request stream directly would not. The services' outgoing calls are fetch, traced by
 * the kit's http-client instrumentation.
 */
export class HttpServerInstrumentation extends KitInstrumentation<HttpServerInstrumentationConfig> {
  private readonly hosts = new Memo<HostAndPort>(64);
  // Set from the base class's constructor (patch), before field initialisers run.
  declare private originalEmit: Emit | undefined;

  constructor(config: HttpServerInstrumentationConfig = {}) {
    super('@qoslab/instrumentation-http-server', '0.1.0', config);
  }

  protected patch(): void {
    const original = http.Server.prototype.emit as Emit;
    this.originalEmit = original;
    http.Server.prototype.emit = this.patchEmit(original) as typeof http.Server.prototype.emit;
    Object.defineProperty(http.IncomingMessage.prototype, 'route', routeProperty);
  }

  protected unpatch(): void {
    if (this.originalEmit) http.Server.prototype.emit = this.originalEmit as typeof http.Server.prototype.emit;
    this.originalEmit = undefined;
    delete (http.IncomingMessage.prototype as { route?: unknown }).route;
  }

  private patchEmit(original: Emit): Emit {
    const ignored = (path: string) => this.getConfig().ignore?.(path) === true;
    const traced = (request: RoutedRequest, response: http.ServerResponse, path: string, query: string | undefined, handle: () => boolean) =>
      this.trace(request, response, path, query, handle);
    return function emit(this: http.Server, event: string | symbol, ...args: unknown[]) {
      if (event !== 'request') return original.call(this, event, ...args);
      const request = args[0] as RoutedRequest;
      const response = args[1] as http.ServerResponse;
      const url = request.url ?? '/';
      const query = url.indexOf('?');
      const path = query === -1 ? url : url.slice(0, query);
      if (ignored(path)) {
        return context.with(suppressTracing(context.active()), () => original.call(this, event, ...args));
      }
      return traced(request, response, path, query === -1 ? undefined : url.slice(query + 1), () => original.call(this, event, ...args));
    };
  }

  private requestAttributes(request: http.IncomingMessage, method: string, path: string, query: string | undefined): Attributes {
    const { headers, socket } = request;
    const host = headers.host;
    const [serverAddress, serverPort] = host ? this.hosts.of(host, () => hostAndPort(host)) : [undefined, undefined];
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_URL_SCHEME]: 'http',
      [ATTR_URL_PATH]: path,
      [ATTR_SERVER_ADDRESS]: serverAddress,
      [ATTR_SERVER_PORT]: serverPort,
      [ATTR_NETWORK_PEER_ADDRESS]: socket.remoteAddress,
      [ATTR_NETWORK_PEER_PORT]: socket.remotePort,
      [ATTR_NETWORK_PROTOCOL_VERSION]: request.httpVersion,
      [ATTR_USER_AGENT_ORIGINAL]: headers['user-agent'],
    };
    if (query !== undefined) attributes[ATTR_URL_QUERY] = query;
    if (method === '_OTHER') attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = request.method;
    const forwardedFor = headers['x-forwarded-for'];
    if (typeof forwardedFor === 'string') attributes[ATTR_CLIENT_ADDRESS] = forwardedFor.split(',', 1)[0]?.trim();
    return attributes;
  }

  private trace(request: RoutedRequest, response: http.ServerResponse, path: string, query: string | undefined, handle: () => boolean): boolean {
    const started = performance.now();
    const method = methodOf(request.method);
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    // The attributes follow the start, and only when the span is recorded: the samplers the kit offers
    // (OTEL_TRACES_SAMPLER) do not read them, a span sampled out then costs no attribute work, and a
    // recorded one has its attributes checked once (the SDK checks and copies those given at start twice).
    const span = this.tracer.startSpan(method, { kind: SpanKind.SERVER }, parent);
    const recording = span.isRecording();
    if (recording) span.setAttributes(this.requestAttributes(request, method, path, query));
    const active = trace.setSpan(parent, span);

    let ended = false;
    const end = (errorType?: string) => {
      if (ended) return;
      ended = true;
      const status = response.statusCode;
      const route = request[ROUTE_TEMPLATE];
      const error = errorType ?? (status >= 500 ? String(status) : undefined);
      if (recording) {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        if (route !== undefined) {
          span.setAttribute(ATTR_HTTP_ROUTE, route);
          span.updateName(`${method} ${route}`);
        }
        if (error !== undefined) {
          span.setAttribute(ATTR_ERROR_TYPE, error);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      }
      span.end();
      const version = request.httpVersion;
      this.getConfig().durations?.record((performance.now() - started) / 1000, `${method} ${status} ${version} ${route} ${error}`, () => {
        const attributes: Attributes = {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_URL_SCHEME]: 'http',
          [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
          [ATTR_NETWORK_PROTOCOL_VERSION]: version,
        };
        if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
        if (error !== undefined) attributes[ATTR_ERROR_TYPE] = error;
        return attributes;
      });
    };
    response.once('close', () => end());
    response.once(errorMonitor, (error: Error) => {
      span.recordException(error);
      end(error.name);
    });
    return context.with(active, handle);
  }
}
