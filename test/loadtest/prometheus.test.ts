import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestStack, type TestStack } from '../lib/stack';
import { describeRun, runLoadtest, startWorkers, workerUrls, type Stack } from './support';
import { promQuery } from '@qoslab/observability-client';

// k6's own metrics reach Prometheus by remote write when the runner is given a Prometheus URL.
let prometheus: TestStack | undefined;
let workers: Stack | undefined;
let prometheusUrl: string;

before(async () => {
  prometheus = await startTestStack({ only: ['prometheus'] });
  prometheusUrl = prometheus.url('prometheus');
  workers = await startWorkers();
});

after(async () => {
  await workers?.stop();
  await prometheus?.stop();
});

const query = (expression: string) => promQuery(prometheusUrl, expression);

test('with --prometheus-url, k6 writes its metrics to Prometheus, per QoS class and test id', { timeout: 240_000 }, async () => {
  const result = await runLoadtest(['qos-lab', '--worker-urls', workerUrls(workers!), '--prometheus-url', prometheusUrl], { LOAD_DURATION: '5s' });
  assert.equal(result.code, 0, describeRun(result));
  const testid = /testid=([^,\s]+)/.exec(result.stderr)?.[1];
  assert.ok(testid, `the runner did not print the test id:\n${result.stderr}`);

  // Stale markers end the series when the test ends, so look back over the run.
  for (const stat of ['p95', 'p99']) {
    const series = await query(`last_over_time(k6_http_req_duration_${stat}{testid="${testid}"}[10m])`);
    assert.deepEqual([...new Set(series.map((entry) => entry.metric.qos_class))].sort(), ['besteffort', 'burstable', 'guaranteed']);
    for (const entry of series) {
      assert.equal(entry.metric.url, undefined, 'the url tag became a label');
      assert.ok(Number(entry.value[1]) > 0, `${stat} is not a positive number of seconds`);
    }
  }
  const requests = await query(`sum(last_over_time(k6_http_reqs_total{testid="${testid}"}[10m]))`);
  assert.ok(Number(requests[0]?.value[1]) > 0, 'no request counted');
});
