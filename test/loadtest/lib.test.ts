import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { workerUrls } from '../../loadtest/lib/config.js';
import { latency } from '../../loadtest/lib/options.js';
import { loadShape, parseDuration, rateScenario, shapeSeconds, vuScenario } from '../../loadtest/lib/shapes.js';
import { buildSummary, checkResults, textSummary, thresholdResults } from '../../loadtest/lib/summary.js';

// The library reads k6's __ENV global; here it is a plain object each test fills.
const scope = globalThis as { __ENV?: Record<string, string> };
beforeEach(() => {
  scope.__ENV = {};
});

describe('shapes', () => {
  test('smoke is the default, a few users, and short', () => {
    const shape = loadShape();
    assert.equal(shape.name, 'smoke');
    assert.ok(shape.vus <= 5);
    assert.ok(shapeSeconds(shape) <= 30);
  });

  test('an unknown LOAD_SHAPE names the known ones', () => {
    scope.__ENV = { LOAD_SHAPE: 'huge' };
    assert.throws(() => loadShape(), /unknown LOAD_SHAPE "huge": use one of smoke, average, stress, spike, soak/);
  });

  test('LOAD_DURATION replaces the hold stage only; LOAD_VUS and LOAD_RATE the peak', () => {
    scope.__ENV = { LOAD_SHAPE: 'average', LOAD_DURATION: '10s', LOAD_VUS: '4', LOAD_RATE: '7' };
    const shape = loadShape();
    assert.deepEqual(
      shape.stages.map((stage: { duration: string }) => stage.duration),
      ['30s', '10s', '30s'],
    );
    assert.deepEqual(vuScenario(shape).stages.map((stage: { target: number }) => stage.target), [4, 4, 0]);
    assert.deepEqual(rateScenario(shape).stages.map((stage: { target: number }) => stage.target), [7, 7, 0]);
    assert.equal(shapeSeconds(shape), 70);
  });

  test('bad overrides are rejected with the variable named', () => {
    scope.__ENV = { LOAD_DURATION: 'soon' };
    assert.throws(() => loadShape(), /LOAD_DURATION "soon" is not a duration/);
    scope.__ENV = { LOAD_VUS: '0' };
    assert.throws(() => loadShape(), /LOAD_VUS="0" is not a number between 1 and/);
  });

  test('durations', () => {
    assert.equal(parseDuration('1h30m'), 5400);
    assert.equal(parseDuration('500ms'), 0.5);
    assert.throws(() => parseDuration('5'), /not a duration/);
  });
});

describe('configuration', () => {
  test('WORKER_URLS needs all three classes, once each', () => {
    assert.deepEqual(workerUrls('guaranteed=http://a:1,burstable=http://b:2/,besteffort=http://c:3'), {
      guaranteed: 'http://a:1',
      burstable: 'http://b:2',
      besteffort: 'http://c:3',
    });
    assert.throws(() => workerUrls('guaranteed=http://a:1,burstable=http://b:2'), /lacks besteffort/);
    assert.throws(() => workerUrls('guaranteed=http://a:1,guaranteed=http://b:2'), /names guaranteed twice/);
    assert.throws(() => workerUrls('premium=http://a:1'), /must be <class>=<url>/);
    assert.throws(() => workerUrls('guaranteed=ftp://a,burstable=http://b,besteffort=http://c'), /not an http\(s\) URL/);
  });

  test('LATENCY_SCALE scales every latency limit', () => {
    assert.deepEqual(latency(300, 800), ['p(95)<300', 'p(99)<800']);
    scope.__ENV = { LATENCY_SCALE: '2.5' };
    assert.deepEqual(latency(300, 800), ['p(95)<750', 'p(99)<2000']);
  });
});

describe('summary', () => {
  // The shape of k6's handleSummary data (the default, non "new machine-readable" format).
  const data = {
    state: { testRunDurationMs: 15234.5 },
    setup_data: { probe: { traceId: 'ab'.repeat(16) } },
    root_group: {
      name: '',
      checks: [],
      groups: [{ name: 'order', checks: [{ name: 'place order: status 201', passes: 9, fails: 1 }], groups: [] }],
    },
    metrics: {
      http_req_failed: { type: 'rate', contains: 'default', values: { rate: 0.1, passes: 1, fails: 9 }, thresholds: { 'rate<0.01': { ok: false } } },
      http_req_duration: {
        type: 'trend',
        contains: 'time',
        values: { med: 10, 'p(95)': 120.5, 'p(99)': 180, max: 200, count: 10 },
        thresholds: { 'p(99)<2000': { ok: true }, 'p(95)<1000': { ok: true } },
      },
      'http_req_duration{step:place-order}': { type: 'trend', contains: 'time', values: { med: 90, 'p(95)': 1500, 'p(99)': 1900, max: 2000, count: 10 }, thresholds: { 'p(95)<1000': { ok: false } } },
      shop_orders_placed: { type: 'counter', contains: 'default', values: { count: 9, rate: 0.6 }, thresholds: { 'count>0': { ok: true } } },
      http_reqs: { type: 'counter', contains: 'default', values: { count: 40, rate: 2.6 } },
    },
  };
  const run = { script: 'shop-journey', shape: { name: 'smoke' }, target: { baseUrl: 'http://127.0.0.1:8080' } };

  test('thresholds: one entry per expression, with the value k6 judged', () => {
    assert.deepEqual(thresholdResults(data), [
      { metric: 'http_req_duration', expression: 'p(95)<1000', ok: true, stat: 'p(95)', actual: 120.5 },
      { metric: 'http_req_duration', expression: 'p(99)<2000', ok: true, stat: 'p(99)', actual: 180 },
      { metric: 'http_req_duration{step:place-order}', expression: 'p(95)<1000', ok: false, stat: 'p(95)', actual: 1500 },
      { metric: 'http_req_failed', expression: 'rate<0.01', ok: false, stat: 'rate', actual: 0.1 },
      { metric: 'shop_orders_placed', expression: 'count>0', ok: true, stat: 'count', actual: 9 },
    ]);
  });

  test('checks are flattened with their group', () => {
    assert.deepEqual(checkResults(data), [{ group: 'order', name: 'place order: status 201', passes: 9, fails: 1 }]);
  });

  test('one failed threshold fails the run, and the text says which', () => {
    const summary = buildSummary(data, run);
    assert.equal(summary.passed, false);
    assert.equal(summary.durationMs, 15235);
    assert.deepEqual(summary.setup, data.setup_data);
    const text = textSummary(summary, data);
    assert.match(text, /^shop-journey · shape smoke · 15\.2s · FAILED$/m);
    assert.match(text, /^ {2}FAIL http_req_duration\{step:place-order\} +p\(95\)<1000 +p\(95\)=1\.50s$/m);
    assert.match(text, /^ {2}FAIL http_req_failed +rate<0\.01 +rate=10\.00%$/m);
    assert.match(text, /^ {2}ok {3}shop_orders_placed +count>0 +count=9$/m);
    assert.match(text, /^ {2}FAIL order: place order: status 201 +9\/10 \(1 failed\)$/m);
    assert.match(text, /^traffic: 40 requests \(2\.6\/s\), 10\.00% failed$/m);
  });

  test('all thresholds held: passed', () => {
    const held = structuredClone(data);
    held.metrics.http_req_failed.thresholds['rate<0.01'].ok = true;
    held.metrics['http_req_duration{step:place-order}'].thresholds['p(95)<1000'].ok = true;
    const summary = buildSummary(held, run);
    assert.equal(summary.passed, true);
    assert.match(textSummary(summary, held), /· PASSED$/m);
  });
});
