import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, repoRoot, toolPath } from '@qoslab/native-stack';
import { run } from '../pipeline/support';
import { describeRun, readPoints, readSummary, runLoadtest, startShop, type LoadtestRun, type Stack } from './support';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
const TIMEOUT = { timeout: 240_000 };

function k6Thresholds(script: string): Record<string, string[]> {
  const inspected = run(toolPath('k6'), ['inspect', path.join(repoRoot, 'loadtest', script)]);
  assert.equal(inspected.status, 0, inspected.stderr);
  return (JSON.parse(inspected.stdout) as { thresholds: Record<string, string[]> }).thresholds;
}

function tracesIn(pointsFile: string): string[] {
  return readPoints(pointsFile)
    .filter((point) => point.type === 'Point' && point.metric === 'http_reqs')
    .map((point) => point.data.metadata?.trace_id ?? '');
}

describe('shop-journey and faults against the real services', () => {
  let shop: Stack;
  let smoke: LoadtestRun;
  let points: string;

  before(async () => {
    // Short timeouts keep the fault scenario quick; orders' must stay below the gateway's.
    shop = await startShop({ env: { FAULT_INJECTION_ENABLED: 'true' }, envOf: { gateway: { UPSTREAM_TIMEOUT_MS: '3000' }, orders: { UPSTREAM_TIMEOUT_MS: '1000' } }, telemetry: true });
  });
  after(async () => {
    await shop?.stop();
  });

  test('the smoke shape passes its thresholds with the real k6', TIMEOUT, async () => {
    points = path.join(mkdtempSync(path.join(tmpdir(), 'qoslab-points-')), 'points.jsonl');
    smoke = await runLoadtest(['shop-journey', '--shape', 'smoke', '--base-url', shop.urls.gateway as string, '--points', points]);
    assert.equal(smoke.code, 0, describeRun(smoke));
    const summary = readSummary(smoke);
    assert.equal(summary.passed, true);
    assert.deepEqual(
      summary.thresholds.filter((threshold) => !threshold.ok),
      [],
    );
    assert.ok((summary.metrics.shop_orders_placed?.values.count ?? 0) > 0, 'no order was placed');
    for (const step of ['list products', 'view product', 'place order', 'get order']) {
      const checks = summary.checks.filter((check) => check.name.startsWith(`${step}:`));
      assert.ok(checks.length > 0, `no check for ${step}`);
      for (const check of checks) assert.deepEqual({ name: check.name, fails: check.fails }, { name: check.name, fails: 0 });
    }
    assert.match(smoke.stderr, /loadtest: summary: .*summary\.txt \(text\), .*summary\.json \(JSON\)/);
  });

  test('the text summary is printed and saved', TIMEOUT, () => {
    assert.ok(smoke, 'the smoke run did not happen');
    const text = readFileSync(path.join(smoke.summaryDir, 'summary.txt'), 'utf8');
    assert.match(text, /^shop-journey · shape smoke · [\d.]+s · PASSED$/m);
    assert.match(text, /^ {2}ok {3}http_req_failed +rate<0\.01 +rate=0\.00%$/m);
    assert.ok(smoke.stdout.includes(text), 'stdout lacks the text summary');
  });

  test('the JSON summary holds the result of every threshold the script defines', TIMEOUT, () => {
    assert.ok(smoke, 'the smoke run did not happen');
    const summary = readSummary(smoke);
    assert.equal(summary.format, 'qoslab-k6-summary/1');
    assert.equal(summary.script, 'shop-journey');
    const defined = Object.entries(k6Thresholds('shop-journey.js')).flatMap(([metric, expressions]) =>
      expressions.map((expression) => `${metric} ${expression}`),
    );
    const reported = summary.thresholds.map((threshold) => `${threshold.metric} ${threshold.expression}`);
    assert.deepEqual([...reported].sort(), [...defined].sort());
    for (const threshold of summary.thresholds) {
      assert.equal(typeof threshold.ok, 'boolean');
      assert.equal(typeof threshold.actual, 'number', `${threshold.metric} ${threshold.expression} has no value`);
      assert.equal(summary.metrics[threshold.metric]?.thresholds?.[threshold.expression]?.ok, threshold.ok);
    }
  });

  test('every request carries its own sampled trace context, recorded with the sample', TIMEOUT, () => {
    assert.ok(smoke, 'the smoke run did not happen');
    const traces = tracesIn(points);
    assert.ok(traces.length > 10, `only ${traces.length} requests`);
    for (const traceId of traces) {
      assert.match(traceId, /^[0-9a-f]{32}$/);
      assert.doesNotMatch(traceId, /^0+$/);
    }
    assert.equal(new Set(traces).size, traces.length, 'a trace id was reused');
    const probe = (readSummary(smoke).setup as { probe?: { traceId?: string } }).probe;
    assert.ok(probe?.traceId && traces.includes(probe.traceId), 'the setup probe trace id is not among the requests');
    // Trace ids are metadata, not tags: tags become Prometheus labels.
    const tagged = readPoints(points).filter((point) => point.type === 'Point' && (point.data.tags?.trace_id ?? point.data.tags?.url) !== undefined);
    assert.equal(tagged.length, 0);
  });

  test('a replayed order (same Idempotency-Key) returns the first order', TIMEOUT, async () => {
    const replay = await runLoadtest(['shop-journey', '--base-url', shop.urls.gateway as string], {
      LOAD_VUS: '1',
      LOAD_DURATION: '2s',
      THINK_TIME: '0',
      REPLAY_RATIO: '1',
    });
    assert.equal(replay.code, 0, describeRun(replay));
    const checks = readSummary(replay).checks.filter((check) => check.name.startsWith('replay order:'));
    assert.deepEqual(
      checks.map((check) => check.name).sort(),
      ['replay order: marked as a replay', 'replay order: same order, not a new one', 'replay order: status 201'],
    );
    for (const check of checks) assert.ok(check.passes > 0 && check.fails === 0, `${check.name}: ${check.passes}/${check.passes + check.fails}`);
  });

  test('faults: the gateway maps each injected fault to its status and problem', TIMEOUT, async () => {
    const faults = await runLoadtest(['faults', '--base-url', shop.urls.gateway as string], {
      LOAD_VUS: '1',
      LOAD_DURATION: '1s',
      GATEWAY_TIMEOUT_MS: '3000',
      ORDERS_TIMEOUT_MS: '1000',
    });
    assert.equal(faults.code, 0, describeRun(faults));
    const summary = readSummary(faults);
    const groups = new Set(summary.checks.map((check) => check.group));
    assert.deepEqual(
      [...groups].sort(),
      ['catalog-error', 'catalog-timeout', 'gateway-status', 'invalid-header', 'orders-timeout', 'payments-error', 'payments-timeout'],
    );
    for (const check of summary.checks) {
      assert.ok(check.passes > 0 && check.fails === 0, `${check.group}: ${check.name} ${check.passes}/${check.passes + check.fails}`);
    }
  });
});

/** A stand-in for the gateway: answers every request with `status`, and keeps the request headers. */
async function fakeGateway(status: number, body: unknown): Promise<{ url: string; headers: IncomingHttpHeaders[]; close: () => Promise<void> }> {
  const headers: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    headers.push(req.headers);
    req.resume();
    res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    headers,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('a broken target', () => {
  test('makes the same smoke run fail: thresholds crossed, k6 exit 99', TIMEOUT, async () => {
    const broken = await fakeGateway(500, { type: 'about:blank', title: 'Internal server error', status: 500 });
    const points = path.join(mkdtempSync(path.join(tmpdir(), 'qoslab-points-')), 'points.jsonl');
    try {
      const result = await runLoadtest(['shop-journey', '--shape', 'smoke', '--base-url', broken.url, '--points', points], { LOAD_DURATION: '5s' });
      assert.equal(result.code, 99, describeRun(result));
      assert.match(result.stderr, /thresholds crossed \(k6 exit 99\)/);
      const summary = readSummary(result);
      assert.equal(summary.passed, false);
      const failed = summary.thresholds.filter((threshold) => !threshold.ok).map((threshold) => `${threshold.metric} ${threshold.expression}`);
      for (const expected of ['http_req_failed rate<0.01', 'checks rate>0.99', 'shop_orders_placed count>0']) {
        assert.ok(failed.includes(expected), `${expected} did not fail; failed: ${failed.join(', ')}`);
      }
      assert.match(readFileSync(path.join(result.summaryDir, 'summary.txt'), 'utf8'), /^ {2}FAIL http_req_failed +rate<0\.01 +rate=100\.00%$/m);

      // What the target received is what k6 recorded: the same trace ids, sampled, marked synthetic.
      assert.ok(broken.headers.length > 0);
      const sent = broken.headers.map((received) => {
        assert.equal(received.baggage, 'synthetic=true,load.source=k6');
        const match = TRACEPARENT.exec(String(received.traceparent));
        assert.ok(match, `bad traceparent ${String(received.traceparent)}`);
        return match[1] as string;
      });
      assert.deepEqual([...sent].sort(), [...tracesIn(points)].sort());
    } finally {
      await broken.close();
    }
  });

  test('an unreachable target stops the run at once, with the reason', TIMEOUT, async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const result = await runLoadtest(['shop-journey', '--base-url', closed]);
    assert.equal(result.code, 108, describeRun(result));
    assert.ok(result.stderr.includes(`cannot reach the gateway at BASE_URL=${closed}`), result.stderr);
  });

  test('faults stops at once, with the reason, when fault injection is off', TIMEOUT, async () => {
    const plain = await fakeGateway(200, { products: [] });
    try {
      const result = await runLoadtest(['faults', '--base-url', plain.url]);
      assert.equal(result.code, 108, describeRun(result));
      assert.match(result.stderr, /fault injection is off at BASE_URL=\S+: start the services with FAULT_INJECTION_ENABLED=true/);
      assert.equal(plain.headers.length, 1, 'requests went on after setup');
    } finally {
      await plain.close();
    }
  });
});
