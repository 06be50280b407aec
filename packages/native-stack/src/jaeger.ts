// The one Jaeger query API client (/api/traces) of the kit's tests.

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  processID: string;
  tags: { key: string; type: string; value: unknown }[];
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** One trace, or undefined while Jaeger does not have it (yet). */
export async function getTrace(queryUrl: string, traceId: string): Promise<JaegerTrace | undefined> {
  const response = await fetch(`${queryUrl}/api/traces/${traceId}`, { signal: AbortSignal.timeout(5000) });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`Jaeger answered ${response.status} for trace ${traceId}`);
  return ((await response.json()) as { data: JaegerTrace[] }).data[0];
}

/** The traces of a service Jaeger found, newest first (`limit` and `lookback` as its API takes them). */
export async function findTraces(queryUrl: string, search: { service: string; limit?: number; lookback?: string; tags?: Record<string, string> }): Promise<JaegerTrace[]> {
  const params = new URLSearchParams({ service: search.service, limit: String(search.limit ?? 20), lookback: search.lookback ?? '1h' });
  if (search.tags) params.set('tags', JSON.stringify(search.tags));
  const response = await fetch(`${queryUrl}/api/traces?${params}`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`Jaeger answered ${response.status} for the traces of ${search.service}`);
  return ((await response.json()) as { data: JaegerTrace[] | null }).data ?? [];
}
