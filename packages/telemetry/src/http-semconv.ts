// What the stable HTTP semantic conventions ask of both sides, server and client.

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** http.request.method: a known method as it is, anything else `_OTHER` (with the original beside it). */
export const methodOf = (method: string | undefined): string => (KNOWN_METHODS.has(method ?? 'GET') ? (method ?? 'GET') : '_OTHER');

/** The conventions' advice for http.server.request.duration and http.client.request.duration, in seconds. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
