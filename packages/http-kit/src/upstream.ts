import { FAULT_HEADER } from './fault-injection';
import { HttpError, type ProblemDetails, UpstreamError, UpstreamTimeoutError } from './errors';
import { requestContext } from './request-context';

export interface UpstreamOptions {
  /** The dependency's name, used in errors and logs (e.g. "catalog"). */
  name: string;
  baseUrl: string;
  timeoutMs: number;
}

export interface UpstreamRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  headers?: Record<string, string>;
}

export interface UpstreamResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * A service-to-service client with one error mapping for the whole shop: no answer within the timeout
 * is a 504, unreachable or 5xx is a 502, a 4xx problem from the dependency is passed on as it is.
 * Trace context and baggage are added by the telemetry preload's fetch instrumentation.
 */
export class Upstream {
  constructor(private readonly options: UpstreamOptions) {}

  get name(): string {
    return this.options.name;
  }

  async request<T>(path: string, init: UpstreamRequest = {}): Promise<UpstreamResponse<T>> {
    const { name, baseUrl, timeoutMs } = this.options;
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const fault = requestContext.getStore()?.faultHeader;
    if (fault) headers[FAULT_HEADER] = fault;

    // The timer is cleared once the body is read. AbortSignal.timeout's timer is not: it fires unless
    // the signal is garbage-collected first, and under load signals promoted to the old generation
    // live long enough for every one to fire, each creating a DOMException and an abort event.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException(`${name} did not answer in time`, 'TimeoutError')), timeoutMs).unref();
    let response: Response;
    let text: string;
    try {
      try {
        response = await fetch(new URL(path, baseUrl), {
          method: init.method ?? 'GET',
          headers,
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          signal: controller.signal,
        });
      } catch (error) {
        if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
          throw new UpstreamTimeoutError(name, timeoutMs);
        }
        throw new UpstreamError(name, `${name} is unreachable: ${describe(error)}`);
      }
      try {
        text = await readBounded(response);
      } catch (error) {
        if (error instanceof DOMException && error.name === 'TimeoutError') throw new UpstreamTimeoutError(name, timeoutMs);
        throw new UpstreamError(name, `${name} sent an unreadable response: ${describe(error)}`);
      }
    } finally {
      clearTimeout(timer);
    }
    if (response.status >= 500) {
      throw new UpstreamError(name, `${name} answered ${response.status}`);
    }
    const body = parseJson(text);
    if (response.status >= 400) {
      const problem = isProblem(body) ? body : undefined;
      throw new HttpError(
        response.status,
        problem?.title ?? response.statusText,
        problem?.detail,
        problem?.type ?? 'about:blank',
        problem?.errors ? { errors: problem.errors } : {},
      );
    }
    if (body === undefined && text.length > 0) {
      throw new UpstreamError(name, `${name} answered ${response.status} with a body that is not JSON`);
    }
    return { status: response.status, headers: response.headers, body: body as T };
  }
}

/** Reads the body, counting bytes as they arrive: a body over the limit is refused without waiting for its end. */
async function readBounded(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw new Error(`response of ${length} bytes is too large`);
  }
  if (!response.body) return '';
  const decoder = new TextDecoder();
  let bytes = 0;
  let text = '';
  for await (const chunk of response.body) {
    bytes += chunk.byteLength;
    if (bytes > MAX_RESPONSE_BYTES) {
      // Leaving the loop cancels the body and releases the connection.
      throw new Error(`response is too large (over ${MAX_RESPONSE_BYTES} bytes)`);
    }
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isProblem(value: unknown): value is ProblemDetails {
  return typeof value === 'object' && value !== null && typeof (value as ProblemDetails).status === 'number';
}

function describe(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error) return 'code' in cause && cause.code ? String(cause.code) : cause.message;
  return String(cause);
}
