// The one Jaeger query API client (/api/traces) of the kit's tests and lab CLI.

export interface JaegerKeyValue {
  key: string;
  /** Jaeger writes it; fixtures and other writers of this shape may leave it out. */
  type?: string;
  value: string | number | boolean;
}

/** A span as Jaeger's query API returns it (times in microseconds). */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID?: string; spanID: string }[];
  startTime: number;
  duration: number;
  processID: string;
  tags: JaegerKeyValue[];
  logs: { timestamp: number; fields: JaegerKeyValue[] }[];
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

export interface TraceSearch {
  service: string;
  limit?: number;
  /** How far back from now (`1h`), unless start and end (milliseconds since the epoch) are given. */
  lookback?: string;
  start?: number;
  end?: number;
  tags?: Record<string, string>;
}

/** The traces of a service Jaeger found, newest first. */
export async function findTraces(queryUrl: string, search: TraceSearch): Promise<JaegerTrace[]> {
  const params = new URLSearchParams({ service: search.service, limit: String(search.limit ?? 20) });
  if (search.start !== undefined && search.end !== undefined) {
    params.set('start', String(Math.round(search.start * 1000)));
    params.set('end', String(Math.round(search.end * 1000)));
  } else {
    params.set('lookback', search.lookback ?? '1h');
  }
  if (search.tags) params.set('tags', JSON.stringify(search.tags));
  const response = await fetch(`${queryUrl}/api/traces?${params}`, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`Jaeger answered ${response.status} for the traces of ${search.service}`);
  return ((await response.json()) as { data: JaegerTrace[] | null }).data ?? [];
}
