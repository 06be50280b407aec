import assert from 'node:assert/strict';

/** What the assertion needs of a response: supertest's and a parsed fetch response both fit. */
export interface ResponseLike {
  status: number;
  headers: Record<string, unknown>;
  body: unknown;
}

/** Asserts an RFC 9457 problem: the status, the media type, and the members every problem has. */
export function assertProblem(response: ResponseLike, status: number, type?: string): void {
  const body = response.body as { status?: unknown; title?: unknown; type?: unknown };
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.type, 'string');
  if (type) assert.equal(body.type, type);
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Checked before each try: a message ends the wait at once (for example, the process under test exited). */
  abortIf?: () => string | undefined;
}

/** Polls until check() returns a value other than undefined; errors thrown by check() count as "not yet". */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const aborted = options.abortIf?.();
    if (aborted !== undefined) throw new Error(`${what}: ${aborted}`);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : ` (last error: ${String(lastError)})`}`);
}
