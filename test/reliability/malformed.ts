// Generators of malformed requests, one per route of the shop (docs/architecture.md "Routes"). Each
// generated request is invalid by the contract: bodies are checked against the contract schemas and
// only kept when they fail them, so any 2xx answer is a defect, not a lucky valid input.
import { parse as parseQuery } from 'node:querystring';
import { chargeRequest, cpuJobRequest, createOrder, DEFAULT_WORKER_JOB_LIMITS, idempotencyKey, memoryJobRequest, orderListQuery, reservationRequest } from '@qoslab/contracts';
import { parseFaultHeader } from '@qoslab/http-kit';
import fc from 'fast-check';
import { z } from 'zod';
import { card } from './support';

export type Service = 'gateway' | 'catalog' | 'orders' | 'payments' | 'worker';

export interface Malformed {
  kind: string;
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body?: Buffer;
}

export interface RouteFuzz {
  service: Service;
  route: string;
  arbitrary: fc.Arbitrary<Malformed>;
}

// The worker's request shapes with the limits the suites run it with (its defaults).
const cpuJob = cpuJobRequest(DEFAULT_WORKER_JOB_LIMITS);
const memoryJob = memoryJobRequest(DEFAULT_WORKER_JOB_LIMITS);

const BODY_LIMIT = 16 * 1024;
const HEADER_LIMIT = 16 * 1024;

/** Strings that break naive code: controls, lone surrogates, bidi overrides, combining marks, astral planes. */
const oddUnicode = fc.oneof(
  fc.constantFrom(
    '\u0000',
    '\ud800',
    '\udfff',
    '\u202e',
    '\u200b',
    '\ufeff',
    'e\u0301',
    '\u{1d518}\u{1d52b}\u{1d526}',
    '\u{1f9e8}',
    '\u0130',
    '\uffff',
    '\u00a0',
    '%00',
    '\\u0000',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    '${jndi:ldap://x}',
    '__proto__',
    'constructor',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

const anyValue = fc.oneof(
  oddUnicode,
  fc.anything({ maxDepth: 2, maxKeys: 4 }),
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, '', [], {}, '1', '2'),
);

function pathsOf(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return value.flatMap((item, index) => [[...prefix, index], ...pathsOf(item, [...prefix, index])]);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => [[...prefix, key], ...pathsOf(item, [...prefix, key])]);
  }
  return [];
}

function mutate(valid: unknown, path: Array<string | number>, action: 'remove' | 'replace' | 'extra', replacement: unknown, extraKey: string): unknown {
  const copy = structuredClone(valid) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (action === 'remove') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (action === 'replace') {
    define(parent, last, replacement);
  } else {
    const target = parent[last];
    define(target && typeof target === 'object' && !Array.isArray(target) ? (target as Record<string, unknown>) : parent, extraKey, replacement);
  }
  return copy;
}

/** An own property even for "__proto__", so it is serialised like any other key. */
function define(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Valid bodies with one field missing, of a wrong type or value, or one field too many; only invalid results. */
function brokenBodies(valid: fc.Arbitrary<unknown>, schema: z.ZodType): fc.Arbitrary<{ kind: string; value: unknown }> {
  return valid
    .chain((body) =>
      fc.record({
        body: fc.constant(body),
        path: fc.constantFrom(...pathsOf(body)),
        action: fc.constantFrom('remove', 'replace', 'extra') as fc.Arbitrary<'remove' | 'replace' | 'extra'>,
        replacement: anyValue,
        extraKey: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'isAdmin', 'status', 'id'), fc.string({ minLength: 1, maxLength: 10 })),
      }),
    )
    .map(({ body, path, action, replacement, extraKey }) => ({
      kind: `${action === 'extra' ? 'extra field' : action === 'remove' ? 'missing field' : 'wrong type or value'} at ${path.join('.')}`,
      value: mutate(body, path, action, replacement, extraKey),
    }))
    // Judged as the service will see it: after a round trip through JSON (undefined and functions vanish).
    .filter(({ value }) => value !== undefined && !schema.safeParse(JSON.parse(JSON.stringify(value) ?? 'null')).success);
}

const productIdArb = fc.integer({ min: 1, max: 11 }).map((n) => `p-${String(n).padStart(3, '0')}`);
const validItems = fc.uniqueArray(fc.record({ productId: productIdArb, quantity: fc.integer({ min: 1, max: 10 }) }), {
  minLength: 1,
  maxLength: 3,
  selector: (item) => item.productId,
});
const validOrder = validItems.map((items) => ({ customer: { email: 'ada@example.com' }, items, payment: { card: { ...card } } }));
const validReservation = fc.tuple(fc.uuid(), validItems).map(([reservationId, items]) => ({ reservationId, items }));
const validCharge = fc.tuple(fc.uuid(), fc.integer({ min: 1, max: 100_000 })).map(([orderId, amountCents]) => ({
  orderId,
  amountCents,
  currency: 'EUR',
  card: { ...card },
}));

const jsonHeaders: Array<[string, string]> = [['content-type', 'application/json']];

/** Text that is not JSON at all, JSON with syntax errors, or bytes that are not UTF-8. */
const badJson: fc.Arbitrary<Buffer> = fc
  .oneof(
    fc.string({ maxLength: 200 }).map((text) => Buffer.from(text)),
    fc.constantFrom('{', '{"a":', "{'a':1}", '{"a":1,}', '[1,2', 'NaN', 'undefined', '{"a":01}', '\ufeff{}x', '{"a":"\\x"}', '"unterminated').map((text) =>
      Buffer.from(text),
    ),
    fc.integer({ min: 2_000, max: 5_000 }).map((depth) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth - 1)}`)),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.concat([Buffer.from('{"customer":"'), Buffer.from(bytes), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])),
  )
  .filter((bytes) => {
    try {
      const value: unknown = JSON.parse(bytes.toString('utf8'));
      return typeof value !== 'object' || value === null || bytes.includes(0xff);
    } catch {
      return true;
    }
  });

const hugeBody = fc.integer({ min: BODY_LIMIT + 1, max: 1024 * 1024 }).map((size) => {
  const filler = 'a'.repeat(size);
  return Buffer.from(JSON.stringify({ customer: { email: `${filler}@example.com` }, items: [], payment: { card } }));
});

const hugeHeader = fc
  .tuple(fc.integer({ min: HEADER_LIMIT + 1, max: 64 * 1024 }), fc.constantFrom('x-padding', 'cookie', 'idempotency-key', 'user-agent'))
  .map(([size, name]): [string, string] => [name, 'h'.repeat(size)]);

/** Header values with no CR/LF (those would make a different, possibly valid, request). */
const headerValue = (text: fc.Arbitrary<string>) => text.map((value) => value.replace(/[\r\n]/g, '')).filter((value) => value.trim() === value);

const badFaultHeader = headerValue(fc.string({ minLength: 1, maxLength: 600 })).filter((value) => {
  try {
    parseFaultHeader(value);
    return false;
  } catch {
    return true;
  }
});

function request(kind: string, method: string, target: string, headers: Array<[string, string]> = [], body?: Buffer): Malformed {
  return { kind, method, target, headers, ...(body ? { body } : {}) };
}

/** Malformed variants every body route gets, next to its broken bodies. */
function bodyRoute(method: string, target: string, schema: z.ZodType, valid: fc.Arbitrary<unknown>, extraHeaders: Array<[string, string]> = []) {
  const withValid = (kind: string, headers: Array<[string, string]>) =>
    valid.map((value) => request(kind, method, target, [...extraHeaders, ...headers], Buffer.from(JSON.stringify(value))));
  return fc.oneof(
    { weight: 6, arbitrary: brokenBodies(valid, schema).map(({ kind, value }) => request(kind, method, target, [...extraHeaders, ...jsonHeaders], Buffer.from(JSON.stringify(value)))) },
    { weight: 2, arbitrary: badJson.map((body) => request('bad JSON', method, target, [...extraHeaders, ...jsonHeaders], body)) },
    { weight: 1, arbitrary: hugeBody.map((body) => request('huge body', method, target, [...extraHeaders, ...jsonHeaders], body)) },
    { weight: 1, arbitrary: hugeHeader.chain((header) => withValid('huge header', [...jsonHeaders, header])) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=latin1', 'application/json; charset=utf-7')
        .chain((type) => withValid(`content-type ${type}`, [['content-type', type]])),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('gzip', 'deflate', 'br', 'compress', 'zstd', 'x-unknown').chain((encoding) =>
        withValid(`content-encoding ${encoding} on plain JSON`, [...jsonHeaders, ['content-encoding', encoding]]),
      ),
    },
    { weight: 1, arbitrary: withValid('no content-type', []) },
    { weight: 1, arbitrary: withValid('content-length and transfer-encoding', [...jsonHeaders, ['transfer-encoding', 'chunked']]) },
    { weight: 1, arbitrary: badFaultHeader.chain((fault) => brokenBodies(valid, schema).map(({ value }) => request('bad x-fault-inject', method, target, [...extraHeaders, ...jsonHeaders, ['x-fault-inject', fault]], Buffer.from(JSON.stringify(value))))) },
  );
}

/** Path segments that are not a valid id: traversal, encodings, unicode, lengths; `valid` ids are excluded. */
function badIds(valid: (decoded: string) => boolean): fc.Arbitrary<{ kind: string; segment: string }> {
  const tricks = fc.constantFrom(
    '..',
    '.',
    '%2e%2e',
    '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    '..%2f..%2fpackage.json',
    '..%5c..%5cwindows',
    '%00',
    'p-001%00',
    '%zz',
    '%',
    '%E0%A4%A',
    '%C0%AE%C0%AE',
    'p-1',
    'P-001',
    'p-0001',
    'p-001;x=1',
    'p-001%20',
    '%20p-001',
    'p-001%0d%0aSet-Cookie:x',
    '*',
    '%2A',
    '00000000-0000-0000-0000-00000000000g',
    '6f1c2a36-8d7e-4a4b-9d55-0c8c2f5f2f1',
    '6f1c2a36-8d7e-4a4b-9d55-0c8c2f5f2f111',
    '{6f1c2a36-8d7e-4a4b-9d55-0c8c2f5f2f11}',
  );
  const encoded = fc.oneof(oddUnicode, fc.string({ minLength: 1, maxLength: 50 }), fc.string({ minLength: 1000, maxLength: 8000 })).filter((text) => text.length > 0);
  return fc
    .oneof(
      tricks.map((segment) => ({ kind: 'path trick', segment })),
      encoded.map((text) => ({ kind: 'encoded odd id', segment: encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '\ufffd')) })),
      // Sent raw: non-ASCII bytes and spaces on the request line, which the HTTP parser must refuse.
      fc.oneof(oddUnicode, fc.string({ minLength: 1, maxLength: 30 })).map((text) => ({ kind: 'raw odd id', segment: text.replace(/[\r\n?#/]/g, '_') || '_' })),
    )
    .filter(({ segment }) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return true;
      }
      return !valid(decoded) && segment.trim().length > 0;
    });
}

function idRoute(method: string, prefix: string, valid: (decoded: string) => boolean, headers: Array<[string, string]> = []) {
  return fc.oneof(
    { weight: 8, arbitrary: badIds(valid).map(({ kind, segment }) => request(kind, method, `${prefix}/${segment}`, headers)) },
    { weight: 1, arbitrary: hugeHeader.map((header) => request('huge header', method, `${prefix}/p-001`, [...headers, header])) },
    { weight: 1, arbitrary: badFaultHeader.map((fault) => request('bad x-fault-inject', method, `${prefix}/p-001`, [...headers, ['x-fault-inject', fault]])) },
  );
}

/** Query strings that break the list route's schema. */
function listRoute(path: string, schema: z.ZodType) {
  const limit = fc.oneof(
    fc.constantFrom('', '0', '-1', '101', '1000', '99999999999999999999', '1.5', 'abc', '1e2', ' 5', '0x10', '%00', '%zz', 'NaN', 'Infinity', '[]', '{}', '١٢'),
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
  );
  const query = fc.oneof(
    limit.map((value) => `limit=${value}`),
    fc.tuple(limit, limit).map(([a, b]) => `limit=${a}&limit=${b}`),
    fc.tuple(fc.constantFrom('offset', 'sort', '__proto__', 'constructor', 'limit[]', 'limit[a]', 'x'), fc.string({ maxLength: 10 })).map(
      ([key, value]) => `limit=5&${key}=${encodeURIComponent(value)}`,
    ),
    fc.string({ minLength: 1, maxLength: 60 }).map((text) => text.replace(/[\s#]/g, '')),
  );
  return fc.oneof(
    {
      weight: 8,
      arbitrary: query
        .filter((text) => {
          try {
            return !schema.safeParse({ ...parseQuery(text) }).success;
          } catch {
            return true;
          }
        })
        .map((text) => request('bad query', 'GET', `${path}?${text}`)),
    },
    { weight: 1, arbitrary: hugeHeader.map((header) => request('huge header', 'GET', path, [header])) },
    { weight: 1, arbitrary: badFaultHeader.map((fault) => request('bad x-fault-inject', 'GET', path, [['x-fault-inject', fault]])) },
  );
}

const badIdempotencyKey = fc
  .oneof(
    fc.constantFrom('', ' ', 'a b', 'k'.repeat(65), 'key/1', 'key%20', '\u{1f9e8}', '\u0130', 'a,b', '*'),
    fc.string({ minLength: 1, maxLength: 100 }),
  )
  .map((value) => value.replace(/[\r\n]/g, ''))
  .filter((value) => value.trim() === value && value.length > 0 && !idempotencyKey.safeParse(value).success);

function ordersPostRoute(target: string) {
  const validKey: Array<[string, string]> = [['idempotency-key', 'fuzz-key']];
  return fc.oneof(
    { weight: 8, arbitrary: bodyRoute('POST', target, createOrder, validOrder) },
    { weight: 1, arbitrary: fc.tuple(badIdempotencyKey, validOrder).map(([key, order]) => request('bad Idempotency-Key', 'POST', target, [...jsonHeaders, ['idempotency-key', key]], Buffer.from(JSON.stringify(order)))) },
    {
      weight: 1,
      // Valid by shape, refused by the catalog: unknown or sold-out products leave no order behind.
      arbitrary: fc
        .tuple(fc.constantFrom('p-012', 'p-013', 'p-999', 'p-000'), fc.integer({ min: 1, max: 10 }), fc.boolean())
        .map(([productId, quantity, keyed]) =>
          request(`rejected product ${productId}`, 'POST', target, [...jsonHeaders, ...(keyed ? validKey : [])], Buffer.from(JSON.stringify({ customer: { email: 'ada@example.com' }, items: [{ productId, quantity }], payment: { card } }))),
        ),
    },
  );
}

const isProductId = (id: string) => /^p-\d{3}$/.test(id);
const isUuid = (id: string) => z.uuid().safeParse(id).success;

export const ROUTES: RouteFuzz[] = [
  {
    service: 'gateway',
    route: 'GET / (page and static files)',
    arbitrary: fc
      .oneof(
        badIds(() => false).map(({ kind, segment }) => request(kind, 'GET', `/${segment}`)),
        badIds(() => false).map(({ kind, segment }) => request(kind, 'GET', `/${segment}/..%2f..%2fpackage.json`)),
        fc.constantFrom('/../package.json', '/%2e%2e/package.json', '/..%2fsrc%2fapp.ts', '/%2e%2e%2f%2e%2e%2fpackage.json', '/.env', '/app.js/..%2f..%2fdist%2fmain.js', '//etc/passwd', '/\\..\\package.json').map((target) => request('traversal', 'GET', target)),
        hugeHeader.map((header) => request('huge header', 'GET', '/', [header])),
      )
      // A segment naming a real file is not malformed.
      .filter(({ target }) => !/^\/(index\.html|app\.js|styles\.css)?$/.test(decodeSafely(target))),
  },
  { service: 'gateway', route: 'GET /api/products/:id', arbitrary: idRoute('GET', '/api/products', isProductId) },
  { service: 'gateway', route: 'POST /api/orders', arbitrary: ordersPostRoute('/api/orders') },
  { service: 'gateway', route: 'GET /api/orders/:id', arbitrary: idRoute('GET', '/api/orders', isUuid) },
  { service: 'gateway', route: 'GET /api/orders?limit=', arbitrary: listRoute('/api/orders', orderListQuery) },
  { service: 'catalog', route: 'GET /products/:id', arbitrary: idRoute('GET', '/products', isProductId) },
  { service: 'catalog', route: 'POST /reservations', arbitrary: bodyRoute('POST', '/reservations', reservationRequest, validReservation) },
  { service: 'catalog', route: 'DELETE /reservations/:id', arbitrary: idRoute('DELETE', '/reservations', isUuid) },
  { service: 'orders', route: 'POST /orders', arbitrary: ordersPostRoute('/orders') },
  { service: 'orders', route: 'GET /orders/:id', arbitrary: idRoute('GET', '/orders', isUuid) },
  { service: 'orders', route: 'GET /orders?limit=', arbitrary: listRoute('/orders', orderListQuery) },
  { service: 'payments', route: 'POST /charges', arbitrary: bodyRoute('POST', '/charges', chargeRequest, validCharge) },
  {
    service: 'worker',
    route: 'POST /jobs/cpu',
    arbitrary: bodyRoute('POST', '/jobs/cpu', cpuJob, fc.integer({ min: 1, max: DEFAULT_WORKER_JOB_LIMITS.maxCpuUnits }).map((units) => ({ units }))),
  },
  {
    service: 'worker',
    route: 'POST /jobs/memory',
    arbitrary: bodyRoute(
      'POST',
      '/jobs/memory',
      memoryJob,
      fc.record({ mib: fc.integer({ min: 1, max: 256 }), holdMs: fc.integer({ min: 0, max: 60_000 }) }),
    ),
  },
];

function decodeSafely(target: string): string {
  try {
    return decodeURIComponent(target);
  } catch {
    return target;
  }
}
