import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import request from 'supertest';
import { z } from 'zod';
import { createLogger } from '@qoslab/logger';
import { Readiness } from './readiness';
import { createServiceApp } from './service-app';
import { parseRequest } from './validation';
import { assertProblem } from './testing';

const silent = createLogger({ service: 'test', level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) });

function build(options: { faults?: boolean; readiness?: Readiness } = {}) {
  const readiness = options.readiness ?? new Readiness();
  readiness.markReady();
  return createServiceApp(
    { service: 'demo', logger: silent, readiness, faultInjectionEnabled: options.faults ?? false },
    (app) => {
      app.post('/things', (req, res) => {
        const body = parseRequest(z.strictObject({ name: z.string().min(1), count: z.number().int() }), req.body, 'body');
        res.status(201).json(body);
      });
      app.get('/boom', () => {
        throw new Error('secret internal detail');
      });
    },
  );
}

test('valid input passes', async () => {
  const response = await request(build()).post('/things').send({ name: 'a', count: 1 });
  assert.equal(response.status, 201);
  assert.deepEqual(response.body, { name: 'a', count: 1 });
});

test('each field problem is listed with its path', async () => {
  const response = await request(build()).post('/things').send({ count: 'x', extra: true });
  assertProblem(response, 400);
  const paths = response.body.errors.map((issue: { path: string }) => issue.path).sort();
  assert.deepEqual(paths, ['body', 'body.count', 'body.name']);
});

test('malformed JSON is a 400 problem', async () => {
  const response = await request(build()).post('/things').set('content-type', 'application/json').send('{"name":');
  assertProblem(response, 400);
});

test('a body that is not JSON is a 415 problem', async () => {
  const response = await request(build()).post('/things').set('content-type', 'text/plain').send('name=a');
  assertProblem(response, 415);
});

test('a JSON body in another charset than UTF-8 is a 415 problem', async () => {
  for (const charset of ['utf-7', 'utf-16', 'latin1']) {
    const response = await request(build()).post('/things').set('content-type', `application/json; charset=${charset}`).send('{"name":"a","count":1}');
    assertProblem(response, 415);
  }
  const utf8 = await request(build()).post('/things').set('content-type', 'application/json; charset=UTF-8').send('{"name":"a","count":1}');
  assert.equal(utf8.status, 201);
});

test('an oversized body is a 413 problem', async () => {
  const response = await request(build()).post('/things').send({ name: 'x'.repeat(20_000), count: 1 });
  assertProblem(response, 413);
});

test('unknown routes are 404 problems', async () => {
  assertProblem(await request(build()).get('/nope'), 404);
});

test('a malformed percent-encoding in the path is a 4xx problem', async () => {
  const response = await request(build()).get('/things/%E0%A4%A');
  assert.ok(response.status >= 400 && response.status < 500);
  assert.match(String(response.headers['content-type']), /problem\+json/);
});

test('unexpected errors are 500 problems that reveal nothing', async () => {
  const response = await request(build()).get('/boom');
  assertProblem(response, 500);
  assert.ok(!JSON.stringify(response.body).includes('secret'));
});

test('no x-powered-by, security headers present', async () => {
  const response = await request(build()).get('/healthz');
  assert.equal(response.headers['x-powered-by'], undefined);
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  assert.match(String(response.headers['content-security-policy']), /default-src 'self'/);
});

test('readiness: 503 while draining or when a check fails, liveness stays 200', async () => {
  let healthy = true;
  const readiness = new Readiness({ db: async () => { if (!healthy) throw new Error('down'); } });
  const app = build({ readiness });
  assert.equal((await request(app).get('/readyz')).status, 200);
  healthy = false;
  const failing = await request(app).get('/readyz');
  assertProblem(failing, 503);
  assert.match(failing.body.detail, /db: down/);
  healthy = true;
  readiness.markDraining();
  assertProblem(await request(app).get('/readyz'), 503);
  assert.equal((await request(app).get('/healthz')).status, 200);
});

test('fault injection: honoured only when enabled, and only for this service', async () => {
  const header = 'demo:status=503';
  assert.equal((await request(build()).get('/healthz').set('x-fault-inject', header)).status, 200);
  assert.equal((await request(build({ faults: true })).post('/things').set('x-fault-inject', 'other:status=503').send({ name: 'a', count: 1 })).status, 201);
  assertProblem(await request(build({ faults: true })).post('/things').set('x-fault-inject', header).send({ name: 'a', count: 1 }), 503);
  assertProblem(await request(build({ faults: true })).post('/things').set('x-fault-inject', 'garbage').send({ name: 'a', count: 1 }), 400);
});
