// The QoS lab: the same offered load on the three worker variants (Guaranteed, Burstable, BestEffort),
// so any difference in latency or errors comes from the Pod's QoS class, not from the traffic. The CPU
// phase sends CPU jobs at the shape's rate to each worker (open model: a throttled worker gets as many
// jobs as the others); with MEMORY_PHASE=true a memory phase follows, holding memory on every worker.
//
//   WORKER_URLS   guaranteed=http://...,burstable=http://...,besteffort=http://...
//   LOAD_SHAPE    smoke | average | stress | spike | soak; LOAD_RATE = jobs per second per worker at the peak
//   CPU_UNITS     CPU per job (one unit is about 1 ms of CPU; default 20)
//   MEMORY_PHASE  true to add the memory phase; MEMORY_MIB (32), MEMORY_HOLD_MS (1000), MEMORY_RATE (2)
import { check } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { QOS_CLASSES, envBoolean, envNumber, workerUrls } from './lib/config.js';
import { json, send } from './lib/http.js';
import { buildOptions, latency } from './lib/options.js';
import { loadShape, rateScenario, shapeSeconds } from './lib/shapes.js';
import { summaryHandler } from './lib/summary.js';

const WORKERS = workerUrls();
const shape = loadShape();
const CPU_UNITS = envNumber('CPU_UNITS', 20, { min: 1, max: 100000 });
const MEMORY_PHASE = envBoolean('MEMORY_PHASE', false);
const MEMORY_MIB = envNumber('MEMORY_MIB', 32, { min: 1, max: 65536 });
const MEMORY_HOLD_MS = envNumber('MEMORY_HOLD_MS', 1000, { max: 600000 });
const MEMORY_RATE = envNumber('MEMORY_RATE', 2, { min: 1, max: 10000 });

// Time the worker itself reports for the job; http_req_duration minus this is time spent queued.
const jobWall = new Trend('qos_job_wall', true);
const jobCpu = new Trend('qos_job_cpu', true);
// The worker refuses (429) a memory job that would exceed WORKER_MAX_MEMORY_MIB: its own guard, an
// expected outcome in the lab, counted here rather than as a failed request.
const jobsRefused = new Counter('qos_jobs_refused');

function scenarios() {
  const all = {};
  const cpuSeconds = shapeSeconds(shape);
  for (const qosClass of QOS_CLASSES) {
    all[`cpu_${qosClass}`] = rateScenario(shape, {
      exec: 'cpuJob',
      env: { QOS_CLASS: qosClass },
      tags: { qos_class: qosClass, phase: 'cpu' },
    });
    if (MEMORY_PHASE) {
      all[`memory_${qosClass}`] = rateScenario(
        { ...shape, rate: MEMORY_RATE },
        {
          exec: 'memoryJob',
          startTime: `${cpuSeconds}s`,
          env: { QOS_CLASS: qosClass },
          tags: { qos_class: qosClass, phase: 'memory' },
        },
      );
    }
  }
  return all;
}

function thresholds() {
  const all = {};
  for (const qosClass of QOS_CLASSES) {
    all[`http_req_failed{qos_class:${qosClass}}`] = ['rate<0.01'];
    all[`http_req_duration{qos_class:${qosClass},phase:cpu}`] = latency(Math.max(250, CPU_UNITS * 10), Math.max(500, CPU_UNITS * 20));
    all[`qos_job_wall{qos_class:${qosClass},phase:cpu}`] = latency(Math.max(200, CPU_UNITS * 8));
    if (MEMORY_PHASE) {
      all[`http_req_duration{qos_class:${qosClass},phase:memory}`] = latency(MEMORY_HOLD_MS + 1000, MEMORY_HOLD_MS + 3000);
    }
  }
  return all;
}

export const options = buildOptions({
  scenarios: scenarios(),
  thresholds: {
    ...thresholds(),
    // The whole-run latency ceiling does not fit memory jobs that hold on purpose; the per-class ones do.
    http_req_duration: latency(Math.max(1000, CPU_UNITS * 20, MEMORY_PHASE ? MEMORY_HOLD_MS + 3000 : 0)),
  },
});

function tagsFor(phase) {
  const qosClass = __ENV.QOS_CLASS;
  return { qos_class: qosClass, phase, step: `${phase}-job` };
}

export function cpuJob() {
  const tags = tagsFor('cpu');
  const response = send('POST', `${WORKERS[tags.qos_class]}/jobs/cpu`, { body: { units: CPU_UNITS }, tags });
  const body = json(response);
  const ok = check(
    response,
    {
      'cpu job: status 200': (r) => r.status === 200,
      'cpu job: ran the units asked for': () => body !== undefined && body.units === CPU_UNITS && typeof body.wallMs === 'number',
    },
    tags,
  );
  if (ok) {
    jobWall.add(body.wallMs, tags);
    jobCpu.add(body.cpuMs, tags);
  }
}

export function memoryJob() {
  const tags = tagsFor('memory');
  const response = send('POST', `${WORKERS[tags.qos_class]}/jobs/memory`, {
    body: { mib: MEMORY_MIB, holdMs: MEMORY_HOLD_MS },
    tags,
    expect: [200, 429],
    timeout: `${Math.ceil(MEMORY_HOLD_MS / 1000) + 30}s`,
  });
  if (response.status === 429) {
    jobsRefused.add(1, tags);
    return;
  }
  const body = json(response);
  const ok = check(
    response,
    {
      'memory job: status 200': (r) => r.status === 200,
      'memory job: held the memory asked for': () => body !== undefined && body.mib === MEMORY_MIB && body.holdMs === MEMORY_HOLD_MS,
    },
    tags,
  );
  if (ok) jobWall.add(body.wallMs, tags);
}

export const handleSummary = summaryHandler({
  script: 'qos-lab',
  shape: { name: shape.name, rate: shape.rate, stages: shape.stages, cpuUnits: CPU_UNITS, memoryPhase: MEMORY_PHASE },
  target: WORKERS,
});
