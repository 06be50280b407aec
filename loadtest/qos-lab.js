// The QoS lab: the same worker as a Guaranteed, a Burstable and a BestEffort pod, under load.
//
// Shape mode (compose, the native stack): the same offered load on the three variants, so any
// difference in latency or errors comes from the class. The CPU phase sends CPU jobs at the shape's
// rate to each worker (open model: a throttled worker gets as many jobs as the others); with
// MEMORY_PHASE=true a memory phase follows, holding memory on every worker.
//
//   WORKER_URLS   guaranteed=http://...,burstable=http://...,besteffort=http://...
//   LOAD_SHAPE    smoke | average | stress | spike | soak; LOAD_RATE = jobs per second per worker at the peak
//   CPU_UNITS     CPU per job (one unit is about 1 ms of CPU; default 20)
//   MEMORY_PHASE  true to add the memory phase; MEMORY_MIB (32), MEMORY_HOLD_MS (1000), MEMORY_RATE (2)
//
// Plan mode (`npm run lab -- experiment`, which sizes every phase from the node it runs on):
//
//   QOS_PLAN      {"phases":[{"name":"throttle","startS":0,"durationS":30,"jobs":[
//                   {"qosClass":"guaranteed","kind":"cpu","rate":4,"units":300,"maxVUs":40}, ...]}, ...]}
//                 a job is an open model ("rate" per "timeUnitS" seconds (default 1), at most "maxVUs"
//                 in flight) or a closed one ("vus" sending back to back); "iterations" caps the jobs an
//                 open model starts; "delayS" starts a job that long after its phase.
import { check } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { QOS_CLASSES, envBoolean, envNumber, envString, workerUrls } from './lib/config.js';
import { json, send } from './lib/http.js';
import { buildOptions, latency } from './lib/options.js';
import { loadShape, rateScenario, shapeSeconds } from './lib/shapes.js';
import { summaryHandler } from './lib/summary.js';

const WORKERS = workerUrls();
const PLAN = parsePlan(envString('QOS_PLAN', undefined));
const shape = PLAN ? undefined : loadShape();
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

function parsePlan(text) {
  if (text === undefined) return undefined;
  let plan;
  try {
    plan = JSON.parse(text);
  } catch (error) {
    throw new Error(`QOS_PLAN is not JSON: ${error.message}`, { cause: error });
  }
  if (!plan || !Array.isArray(plan.phases) || plan.phases.length === 0) throw new Error('QOS_PLAN needs a non-empty "phases" list');
  for (const phase of plan.phases) {
    if (!/^[a-z][a-z0-9-]*$/.test(phase.name ?? '')) throw new Error(`QOS_PLAN: phase name "${phase.name}" must be lower-case letters, digits and dashes`);
    if (!(phase.durationS > 0) || !(phase.startS >= 0)) throw new Error(`QOS_PLAN: phase ${phase.name} needs startS >= 0 and durationS > 0`);
    for (const job of phase.jobs ?? []) {
      if (!QOS_CLASSES.includes(job.qosClass)) throw new Error(`QOS_PLAN: phase ${phase.name}: unknown qosClass "${job.qosClass}"`);
      if (job.kind !== 'cpu' && job.kind !== 'memory') throw new Error(`QOS_PLAN: phase ${phase.name}: kind must be cpu or memory`);
      if (!(job.rate > 0) && !(job.vus > 0)) throw new Error(`QOS_PLAN: phase ${phase.name}: a job needs "rate" or "vus"`);
    }
  }
  return plan;
}

function planScenario(phase, job) {
  const env = {
    QOS_CLASS: job.qosClass,
    CPU_UNITS: String(job.units ?? CPU_UNITS),
    MEMORY_MIB: String(job.mib ?? MEMORY_MIB),
    MEMORY_HOLD_MS: String(job.holdMs ?? MEMORY_HOLD_MS),
  };
  const common = {
    exec: job.kind === 'cpu' ? 'cpuJob' : 'memoryJob',
    startTime: `${phase.startS + (job.delayS ?? 0)}s`,
    env,
    tags: { qos_class: job.qosClass, phase: phase.name },
    gracefulStop: `${Math.ceil((job.holdMs ?? 0) / 1000) + 10}s`,
  };
  if (job.vus > 0) return { ...common, executor: 'constant-vus', vus: job.vus, duration: `${phase.durationS}s` };
  const iterations = job.iterations ?? Infinity;
  const timeUnitS = job.timeUnitS ?? 1;
  const duration = Math.min(phase.durationS - (job.delayS ?? 0), Number.isFinite(iterations) ? Math.ceil((iterations / job.rate) * timeUnitS) : Infinity);
  return {
    ...common,
    executor: 'constant-arrival-rate',
    rate: job.rate,
    timeUnit: `${timeUnitS}s`,
    duration: `${duration}s`,
    // Jobs that hold memory keep their VU for the whole hold: allocate them all up front, since k6
    // starts further VUs only slowly and would skip the iterations meanwhile.
    preAllocatedVUs: job.kind === 'memory' ? (job.maxVUs ?? 10) : Math.min(job.maxVUs ?? 10, Math.max(1, Math.ceil(job.rate))),
    maxVUs: job.maxVUs ?? 10,
  };
}

function scenarios() {
  const all = {};
  if (PLAN) {
    for (const phase of PLAN.phases) {
      for (const [index, job] of (phase.jobs ?? []).entries()) all[`${phase.name}_${job.qosClass}_${job.kind}_${index}`] = planScenario(phase, job);
    }
    return all;
  }
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
  if (PLAN) {
    // The experiment breaks workers on purpose: CPU phases must still be served; memory phases only
    // need an answer (or a refusal) within the hold time, the killed requests are the lesson.
    for (const phase of PLAN.phases) {
      for (const job of phase.jobs ?? []) {
        const selector = `{qos_class:${job.qosClass},phase:${phase.name}}`;
        if (job.kind === 'cpu') all[`http_req_failed${selector}`] = ['rate<0.05'];
        all[`http_req_duration${selector}`] = [`max<${(job.holdMs ?? 0) + 60000}`];
      }
    }
    return all;
  }
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
  defaults: !PLAN,
  thresholds: PLAN
    ? thresholds()
    : {
        ...thresholds(),
        // The whole-run latency ceiling does not fit memory jobs that hold on purpose; the per-class ones do.
        http_req_duration: latency(Math.max(1000, CPU_UNITS * 20, MEMORY_PHASE ? MEMORY_HOLD_MS + 3000 : 0)),
      },
});

function tagsFor(kind) {
  const qosClass = __ENV.QOS_CLASS;
  return { qos_class: qosClass, step: `${kind}-job` };
}

export function cpuJob() {
  const tags = tagsFor('cpu');
  const units = Number(__ENV.CPU_UNITS ?? CPU_UNITS);
  const response = send('POST', `${WORKERS[tags.qos_class]}/jobs/cpu`, { body: { units }, tags, timeout: '120s' });
  const body = json(response);
  const ok = check(
    response,
    {
      'cpu job: status 200': (r) => r.status === 200,
      'cpu job: ran the units asked for': () => body !== undefined && body.units === units && typeof body.wallMs === 'number',
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
  const mib = Number(__ENV.MEMORY_MIB ?? MEMORY_MIB);
  const holdMs = Number(__ENV.MEMORY_HOLD_MS ?? MEMORY_HOLD_MS);
  const response = send('POST', `${WORKERS[tags.qos_class]}/jobs/memory`, {
    body: { mib, holdMs },
    tags,
    expect: [200, 429],
    timeout: `${Math.ceil(holdMs / 1000) + 30}s`,
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
      'memory job: held the memory asked for': () => body !== undefined && body.mib === mib && body.holdMs === holdMs,
    },
    tags,
  );
  if (ok) jobWall.add(body.wallMs, tags);
}

export const handleSummary = summaryHandler({
  script: 'qos-lab',
  shape: PLAN ? { name: 'plan', phases: PLAN.phases } : { name: shape.name, rate: shape.rate, stages: shape.stages, cpuUnits: CPU_UNITS, memoryPhase: MEMORY_PHASE },
  target: WORKERS,
});
