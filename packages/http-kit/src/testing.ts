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
