// Shared helpers of the reliability suites (the stack itself: test/lib/stack.ts): a raw
// HTTP/1.1 client for requests fetch() refuses to send, waiting for a trace, the live heap through the
// inspector, timed and concurrent requests, order bodies.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResponseLike } from '@qoslab/http-kit/testing';
import { getTrace, type JaegerTrace } from '@qoslab/observability-client';
import { serviceOf } from '../lib/jaeger';

export const LOOPBACK = '127.0.0.1';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawRequest {
  port: number;
  method: string;
  /** Sent as it is, so it can hold anything a client may put on the request line. */
  target: string;
  headers?: Array<[string, string]>;
  body?: Buffer | string;
  timeoutMs?: number;
}

/**
 * One request on its own connection, written byte for byte (no normalisation, no header checks), read
 * until the server closes. Resolves with status 0 when the server closed without an answer.
 */
export function rawRequest(request: RawRequest): Promise<RawResponse> {
  const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
  const head = [
    `${request.method} ${request.target} HTTP/1.1`,
    `host: ${LOOPBACK}:${request.port}`,
    'connection: close',
    ...(body ? [`content-length: ${body.length}`] : []),
    ...(request.headers ?? []).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(request.port, LOOPBACK);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${request.method} ${request.target.slice(0, 80)} within ${request.timeoutMs ?? 10_000} ms`));
    }, request.timeoutMs ?? 10_000);
    // The server may answer (413, 431) and close before it has read everything: that is not an error.
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks)));
    });
    socket.on('connect', () => {
      socket.write(Buffer.from(`${head}\r\n\r\n`, 'utf8'));
      if (body) socket.write(body);
    });
  });
}

function parseResponse(raw: Buffer): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: raw.toString('latin1') };
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: body.toString('utf8') };
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf('\r\n', offset);
    const size = parseInt(body.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** A raw or fetch response in the shape of @qoslab/http-kit/testing's assertProblem (body parsed). */
export function problemOf(response: { status: number; headers: Record<string, string> | Headers; body: string }): ResponseLike {
  const headers = response.headers instanceof Headers ? Object.fromEntries(response.headers) : response.headers;
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    body = response.body;
  }
  return { status: response.status, headers, body };
}

/** Waits until Jaeger has the trace and `complete` says it has all it should; Jaeger may be restarting. */
export async function waitForTrace(
  queryPort: number,
  traceId: string,
  complete: (trace: JaegerTrace) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<JaegerTrace> {
  const deadline = Date.now() + timeoutMs;
  let last: JaegerTrace | undefined;
  while (Date.now() < deadline) {
    last = await getTrace(`http://${LOOPBACK}:${queryPort}`, traceId).catch(() => undefined);
    if (last && complete(last)) return last;
    await sleep(500);
  }
  const seen = last ? last.spans.map((span) => `${serviceOf(last as JaegerTrace, span)}:${span.operationName}`).join(', ') : 'nothing';
  throw new Error(`trace ${traceId} not complete in Jaeger within ${timeoutMs} ms; it has ${seen}`);
}

/**
 * Live heap of a process started with --inspect=<port>, in MiB: a full garbage collection first, then
 * V8's used heap size, through the inspector protocol.
 */
export async function liveHeapMiB(inspectPort: number): Promise<number> {
  const targets = (await (await fetch(`http://${LOOPBACK}:${inspectPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const socket = new WebSocket((targets[0] as { webSocketDebuggerUrl: string }).webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  let nextId = 0;
  const call = (method: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++nextId;
      const onMessage = (event: MessageEvent) => {
        const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown>; error?: unknown };
        if (message.id !== id) return;
        socket.removeEventListener('message', onMessage);
        if (message.error) reject(new Error(`${method}: ${JSON.stringify(message.error)}`));
        else resolve(message.result ?? {});
      };
      socket.addEventListener('message', onMessage);
      socket.send(JSON.stringify({ id, method }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    const usage = await call('Runtime.getHeapUsage');
    return Number(usage.usedSize) / 2 ** 20;
  } finally {
    socket.close();
  }
}

export interface Timed {
  status: number;
  ms: number;
  error?: string;
}

/** One request through fetch, timed; a network error is status 0 with the error's message. */
export async function timedFetch(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Timed & { body: string; headers: Headers }> {
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 15_000) });
    const body = await response.text();
    return { status: response.status, ms: performance.now() - started, body, headers: response.headers };
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    return { status: 0, ms: performance.now() - started, body: '', headers: new Headers(), error: cause };
  }
}

/** Runs `count` calls of `call` with at most `concurrency` at once; resolves with every result in order. */
export async function runConcurrently<T>(count: number, concurrency: number, call: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await call(index);
      }
    }),
  );
  return results;
}

export const card = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' };

export function orderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { customer: { email: 'ada@example.com' }, items: [{ productId: 'p-001', quantity: 1 }], payment: { card }, ...overrides };
}

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
