import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeRun, readSummary, runLoadtest, startWorkers, workerUrls, type Stack } from './support';

const CLASSES = ['guaranteed', 'burstable', 'besteffort'];
let workers: Stack;

before(async () => {
  workers = await startWorkers();
});
after(async () => {
  await workers?.stop();
});

test('qos-lab smoke: the same load on every class, each judged by its own thresholds', { timeout: 240_000 }, async () => {
  const result = await runLoadtest(['qos-lab', '--shape', 'smoke', '--worker-urls', workerUrls(workers)], {
    LOAD_DURATION: '5s',
    MEMORY_PHASE: 'true',
    MEMORY_MIB: '16',
    MEMORY_HOLD_MS: '200',
  });
  assert.equal(result.code, 0, describeRun(result));
  const summary = readSummary(result);
  assert.equal(summary.passed, true);

  const counts: Record<string, number[]> = {};
  for (const qosClass of CLASSES) {
    const failed = summary.thresholds.find((threshold) => threshold.metric === `http_req_failed{qos_class:${qosClass}}`);
    assert.equal(failed?.ok, true, `no passing error-rate threshold for ${qosClass}`);
    counts[qosClass] = ['cpu', 'memory'].map(
      (phase) => summary.metrics[`http_req_duration{qos_class:${qosClass},phase:${phase}}`]?.values.count ?? 0,
    );
  }
  // An open model: every class was offered the same schedule of jobs in each phase. The schedules are
  // identical; a job due right at the end of a phase may fall either side of it, hence one of slack.
  for (const [index, phase] of ['cpu', 'memory'].entries()) {
    const perClass = CLASSES.map((qosClass) => counts[qosClass]![index]!);
    assert.ok(Math.min(...perClass) > 0 && Math.max(...perClass) - Math.min(...perClass) <= 1, `${phase} jobs per class: ${perClass.join(', ')}`);
  }
});

test('a memory job over the worker budget is refused (429) and counted, not failed', { timeout: 240_000 }, async () => {
  // Two jobs of 160 MiB held for 1.5 s at 2 per second overlap, and 320 MiB exceeds the workers'
  // default WORKER_MAX_MEMORY_MIB of 256.
  const result = await runLoadtest(['qos-lab', '--shape', 'smoke', '--worker-urls', workerUrls(workers)], {
    LOAD_DURATION: '3s',
    MEMORY_PHASE: 'true',
    MEMORY_MIB: '160',
    MEMORY_HOLD_MS: '1500',
  });
  assert.equal(result.code, 0, describeRun(result));
  const summary = readSummary(result);
  assert.ok((summary.metrics.qos_jobs_refused?.values.count ?? 0) > 0, 'no memory job was refused');
  assert.equal(summary.metrics.http_req_failed?.values.rate, 0);
  assert.ok(
    summary.checks.filter((check) => check.name.startsWith('memory job:')).every((check) => check.passes > 0 && check.fails === 0),
    'the accepted memory jobs did not all pass their checks',
  );
});
