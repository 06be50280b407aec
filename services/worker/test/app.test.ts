import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Readiness } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import request from 'supertest';
import { createApp } from '../src/app';
import { burn, ITERATIONS_PER_UNIT, JobAbandonedError, type JobLimits, JobRunner } from '../src/jobs';
import { assertProblem, waitFor } from '@qoslab/http-kit/testing';

function build(overrides: Partial<JobLimits> = {}) {
  const limits: JobLimits = { maxCpuUnits: 50, maxMemoryMib: 8, maxHoldMs: 1000, maxConcurrentJobs: 4, ...overrides };
  const readiness = new Readiness();
  readiness.markReady();
  const runner = new JobRunner(limits);
  return { app: createApp({ logger: createLogger({ service: 'worker', level: 'silent' }), readiness, runner, limits }), runner };
}

test('a CPU job burns the requested work and reports its CPU time', async () => {
  const response = await request(build().app).post('/jobs/cpu').send({ units: 5 });
  assert.equal(response.status, 200);
  assert.equal(response.body.units, 5);
  assert.equal(response.body.checksum, burn(5, ITERATIONS_PER_UNIT));
  assert.ok(response.body.cpuMs > 0);
  assert.ok(response.body.wallMs > 0);
});

test('the CPU loop runs from its source text alone, as the CPU thread runs it', () => {
  const isolated = runInNewContext(`(${burn.toString()})`) as typeof burn;
  assert.equal(isolated(3, ITERATIONS_PER_UNIT), burn(3, ITERATIONS_PER_UNIT));
});

test('a CPU job runs on its own thread: the worker answers its probes meanwhile', async () => {
  const { app, runner } = build({ maxCpuUnits: 100_000 });
  const order: string[] = [];
  const job = request(app).post('/jobs/cpu').send({ units: 3000 }).then((r) => (order.push('job'), r));
  await waitFor('the job to start', () => (runner.busy ? true : undefined), { intervalMs: 5 });
  const probe = await request(app).get('/healthz');
  order.push('probe');
  assert.equal(probe.status, 200);
  assert.equal((await job).status, 200);
  assert.deepEqual(order, ['probe', 'job'], 'the probe was answered while the CPU job was still running');
  await runner.close();
});

test('a queued CPU job whose client went away is not run', async () => {
  const { runner } = build({ maxCpuUnits: 100_000 });
  const first = runner.cpu(500);
  const gone = new AbortController();
  const second = runner.cpu(5, gone.signal);
  gone.abort();
  assert.ok((await first).cpuMs > 0);
  await assert.rejects(second, JobAbandonedError);
  await runner.close();
});

test('a memory job keeps its memory through garbage collections until the hold ends', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const { app } = build({ maxMemoryMib: 64, maxHoldMs: 5000 });
  const before = process.memoryUsage().arrayBuffers;
  const job = request(app).post('/jobs/memory').send({ mib: 32, holdMs: 1500 }).then((r) => r);
  await new Promise((resolve) => setTimeout(resolve, 500));
  gc();
  const during = process.memoryUsage().arrayBuffers - before;
  assert.equal((await job).status, 200);
  assert.ok(during >= 30 * 1024 * 1024, `held ${(during / 1024 / 1024).toFixed(1)} MiB after a collection, not 32`);
});

test('a memory job holds the memory, then frees it', async () => {
  const { app, runner } = build({ maxHoldMs: 5000 });
  const pending = request(app).post('/jobs/memory').send({ mib: 4, holdMs: 2000 }).then((r) => r);
  await waitFor('the memory to be held', () => (runner.heldMib === 4 ? true : undefined), { intervalMs: 10 });
  const response = await pending;
  assert.equal(response.status, 200);
  assert.equal(response.body.mib, 4);
  assert.equal(runner.heldMib, 0);
});

test('memory beyond the budget is refused with 429, and nothing is held for it', async () => {
  const { app, runner } = build({ maxHoldMs: 5000 });
  const first = request(app).post('/jobs/memory').send({ mib: 6, holdMs: 2000 }).then((r) => r);
  await waitFor('the first job to hold its memory', () => (runner.heldMib === 6 ? true : undefined), { intervalMs: 10 });
  assertProblem(await request(app).post('/jobs/memory').send({ mib: 6, holdMs: 0 }), 429);
  assert.equal(runner.heldMib, 6);
  assert.equal((await first).status, 200);
});

test('jobs beyond the concurrency limit are refused with 429', async () => {
  const { app, runner } = build({ maxConcurrentJobs: 1, maxHoldMs: 5000 });
  const first = request(app).post('/jobs/memory').send({ mib: 1, holdMs: 2000 }).then((r) => r);
  await waitFor('the first job to run', () => (runner.heldMib === 1 ? true : undefined), { intervalMs: 10 });
  assertProblem(await request(app).post('/jobs/cpu').send({ units: 1 }), 429);
  assert.equal((await first).status, 200);
});

for (const [path, body] of [
  ['/jobs/cpu', { units: 51 }],
  ['/jobs/cpu', { units: 0 }],
  ['/jobs/cpu', { units: 1.5 }],
  ['/jobs/cpu', { units: '5' }],
  ['/jobs/cpu', {}],
  ['/jobs/memory', { mib: 9, holdMs: 0 }],
  ['/jobs/memory', { mib: 1, holdMs: 5000 }],
  ['/jobs/memory', { mib: 1 }],
  ['/jobs/memory', { mib: 1, holdMs: 0, extra: 1 }],
] as const) {
  test(`POST ${path} ${JSON.stringify(body)} is a 400`, async () => {
    assertProblem(await request(build().app).post(path).send(body), 400);
  });
}
