import type { JaegerSpan, JaegerTrace } from '@qoslab/observability-client';

export function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((candidate) => candidate.key === key)?.value;
}

export function serviceOf(trace: JaegerTrace, span: JaegerSpan): string | undefined {
  return trace.processes[span.processID]?.serviceName;
}

function parentOf(trace: JaegerTrace, span: JaegerSpan): JaegerSpan | undefined {
  const parentId = span.references.find((reference) => reference.refType === 'CHILD_OF')?.spanID;
  return trace.spans.find((candidate) => candidate.spanID === parentId);
}

/** True when `ancestor` is on the path from `span` to the root. */
function descendsFrom(trace: JaegerTrace, span: JaegerSpan, ancestor: JaegerSpan): boolean {
  for (let current = parentOf(trace, span); current; current = parentOf(trace, current)) {
    if (current.spanID === ancestor.spanID) return true;
  }
  return false;
}

/** A W3C traceparent with a fresh, sampled trace id, so a request's trace can be looked up. */
export function newTraceparent(): { traceId: string; traceparent: string } {
  const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
  const traceId = hex(16);
  return { traceId, traceparent: `00-${traceId}-${hex(8)}-01` };
}

/**
 * Checks the shape of a shop order's trace: the gateway's server span is called by the caller, and
 * orders, catalog and payments each answer a client span below it, with PostgreSQL spans under orders.
 * Returns the problems found (empty when the trace is right).
 */
export function orderTraceProblems(trace: JaegerTrace): string[] {
  const problems: string[] = [];
  const server = (service: string, route: string) =>
    trace.spans.find((span) => serviceOf(trace, span) === service && tag(span, 'span.kind') === 'server' && tag(span, 'http.route') === route);
  const gateway = server('gateway', '/api/orders');
  const orders = server('orders', '/orders');
  const catalog = server('catalog', '/reservations');
  const payments = server('payments', '/charges');
  if (!gateway) return ['no gateway server span for POST /api/orders'];
  for (const [name, span] of [['orders', orders], ['catalog', catalog], ['payments', payments]] as const) {
    if (!span) {
      problems.push(`no ${name} server span`);
      continue;
    }
    if (tag(span, 'http.request.method') !== 'POST') problems.push(`${name}: http.request.method is ${String(tag(span, 'http.request.method'))}`);
    if (Number(tag(span, 'http.response.status_code')) !== 201) problems.push(`${name}: status ${String(tag(span, 'http.response.status_code'))}`);
    const parent = parentOf(trace, span);
    if (tag(parent ?? span, 'span.kind') !== 'client') problems.push(`${name}: parent is not a client span`);
  }
  if (orders && !descendsFrom(trace, orders, gateway)) problems.push('orders is not below the gateway');
  if (orders && catalog && !descendsFrom(trace, catalog, orders)) problems.push('catalog is not below orders');
  if (orders && payments && !descendsFrom(trace, payments, orders)) problems.push('payments is not below orders');
  const database = trace.spans.filter((span) => tag(span, 'db.system.name') === 'postgresql' || tag(span, 'db.system') === 'postgresql');
  if (database.length === 0) problems.push('no PostgreSQL span');
  for (const span of database) if (orders && !descendsFrom(trace, span, orders)) problems.push(`PostgreSQL span ${span.operationName} is not below orders`);
  return problems;
}
