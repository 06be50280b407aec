// The one Prometheus HTTP API client of the kit's tests, benchmark and lab CLI.

export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromMatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

type Answer = { resultType: 'vector'; result: PromSeries[] } | { resultType: 'matrix'; result: PromMatrixSeries[] } | { resultType: 'scalar' | 'string'; result: unknown };

async function instant(baseUrl: string, query: string, at?: number): Promise<Answer> {
  const url = new URL('/api/v1/query', baseUrl);
  url.searchParams.set('query', query);
  if (at !== undefined) url.searchParams.set('time', String(at));
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json().catch(() => ({}))) as { status?: string; error?: string; data?: Answer };
  if (body.status !== 'success' || !body.data) throw new Error(`Prometheus query ${query} failed: ${body.error ?? `HTTP ${response.status}`}`);
  return body.data;
}

/** An instant vector query, now or at `at` (seconds since the epoch). */
export async function promQuery(baseUrl: string, query: string, at?: number): Promise<PromSeries[]> {
  const data = await instant(baseUrl, query, at);
  if (data.resultType === 'matrix') throw new Error(`Prometheus query ${query} returned a range vector`);
  return data.resultType === 'vector' ? data.result : [];
}

/** A range selector (`metric[5m]`) evaluated at `at`: every sample in the window. */
export async function promRange(baseUrl: string, query: string, at: number): Promise<PromMatrixSeries[]> {
  const data = await instant(baseUrl, query, at);
  if (data.resultType !== 'matrix') throw new Error(`Prometheus query ${query} did not return a range vector`);
  return data.result;
}

/** The first series' value as a number, 0 when the query matched nothing. */
export async function promValue(baseUrl: string, query: string, at?: number): Promise<number> {
  return Number((await promQuery(baseUrl, query, at))[0]?.value[1] ?? 0);
}
