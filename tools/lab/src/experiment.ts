// lab experiment: each phase is sized from the node right before it runs, run by k6 next to the
// workers, and watched; between phases the workers get back to Ready. At the end the run directory
// holds what the cluster said, and `qos report` states what happened.
//
//   calibrate   CPU time of one work unit, measured on the Burstable worker alone
//   throttle    CPU jobs offering the Guaranteed and the Burstable worker THROTTLE_FACTOR x the
//               Guaranteed worker's CPU limit (BestEffort sits out: on a small node its starvation
//               would take the CPU the comparison needs; the contention phase shows it)
//   contention  every worker busy back to back, all three pinned to one shared core: the core goes
//               by the cgroups' cpu.shares, which the kubelet derives from requests
//   oom         memory jobs that hold more than the Guaranteed worker's limit: one OOM kill
//   pressure    the Burstable worker past its request, the BestEffort one until the pods' memory
//               crosses the kubelet's hard eviction threshold (not the cgroup limit): an eviction
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFindings, buildReport, formatFindings, formatReport, milliValue, parseQuantity, readRun, value } from '@qoslab/qos-cli';
import { findTraces, promQuery } from '@qoslab/observability-client';
import { renderWithOverrides } from './deploy.js';
import type { Log } from './images.js';
import { type Kube, LabError, type Obj, type PortForward, sleep, until } from './kube.js';
import { repoRoot } from './repo.js';

const WORKERS = ['guaranteed', 'burstable', 'besteffort'] as const;
export type Variant = (typeof WORKERS)[number];
type PhaseName = 'throttle' | 'contention' | 'oom' | 'pressure';
const NAMESPACE = 'qos-lab';
const MIB = 1024 * 1024;
const K6_JOB = 'qos-lab-k6';

/** The Guaranteed worker must want this many times its CPU limit. */
export const THROTTLE_FACTOR = 1.5;
const CALIBRATION_UNITS = 200;
const CALIBRATION_RUNS = 5;
/** CPU per job in the CPU phases. */
const JOB_MS = 200;
/** Past allocatable by less than the 256Mi between the hard eviction threshold and the kubepods limit. */
const PRESSURE_MARGIN_BYTES = 96 * MIB;

export interface Profile {
  name: 'short' | 'full';
  phaseS: Record<PhaseName, number>;
}

export const PROFILES: Record<Profile['name'], Profile> = {
  short: { name: 'short', phaseS: { throttle: 30, contention: 40, oom: 30, pressure: 60 } },
  full: { name: 'full', phaseS: { throttle: 120, contention: 90, oom: 60, pressure: 150 } },
};

interface WorkerFacts {
  pod: string;
  workingSetBytes: number;
  memoryLimitBytes: number | null;
  memoryRequestBytes: number;
  cpuLimitMilli: number | null;
  cpuRequestMilli: number;
}

export interface NodeFacts {
  name: string;
  cpus: number;
  allocatableMilliCpu: number;
  /** CPU requested by every pod on the node now. */
  requestedMilliCpu: number;
  /** CPU requested by the node's Burstable pods: the weight of the kubepods/burstable cgroup. */
  burstableMilliCpu: number;
  /** What the kubelet gives the pods before it evicts (allocatable memory). */
  allocatableMemoryBytes: number;
  /** Working set of all pods now (kubelet summary API). */
  podsWorkingSetBytes: number;
  workers: Record<Variant, WorkerFacts>;
}

export interface Calibration {
  units: number;
  cpuMs: number[];
  /** Median CPU milliseconds of one unit on this node. */
  msPerUnit: number;
}

interface PlanJob {
  qosClass: Variant;
  kind: 'cpu' | 'memory';
  rate?: number;
  vus?: number;
  units?: number;
  mib?: number;
  holdMs?: number;
  maxVUs?: number;
  iterations?: number;
  /** Starts this long after the phase does. */
  delayS?: number;
  /** `rate` jobs per this many seconds (default 1). */
  timeUnitS?: number;
}

export interface PlanPhase {
  name: PhaseName;
  durationS: number;
  jobs: PlanJob[];
  /** Why these numbers, for the attendee. */
  why: string;
  /** The one CPU every worker's threads are pinned to for the phase. */
  pinToCpu?: number;
  /** CPU each worker should get, from the cgroup weights (cores). */
  predicted?: Record<Variant, number>;
}

const quantity = (container: Obj, kind: 'requests' | 'limits', name: string): bigint | null => {
  const q = container.resources?.[kind]?.[name] as string | undefined;
  if (q === undefined) return null;
  return name === 'cpu' ? milliValue(parseQuantity(q)) : value(parseQuantity(q));
};

const isWorker = (pod: Obj, variant: Variant) => pod.metadata.labels?.['app.kubernetes.io/name'] === 'worker' && pod.metadata.labels?.['qoslab.dev/variant'] === variant;
const live = (pod: Obj) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed' && !pod.metadata.deletionTimestamp;

function nodeFacts(kube: Kube): NodeFacts {
  const node = kube.node();
  const name = node.metadata.name as string;
  const pods = (kube.json(['get', 'pods', '-A', '--field-selector', `spec.nodeName=${name}`]).items as Obj[]).filter(live);
  let requested = 0n;
  let burstable = 0n;
  for (const pod of pods) {
    for (const c of pod.spec.containers as Obj[]) {
      const cpu = quantity(c, 'requests', 'cpu') ?? 0n;
      requested += cpu;
      if (pod.status?.qosClass === 'Burstable') burstable += cpu;
    }
  }
  const summary = JSON.parse(kube.ok(['get', '--raw', `/api/v1/nodes/${name}/proxy/stats/summary`])) as Obj;
  const workingSet = new Map<string, number>();
  for (const pod of (summary.pods as Obj[] | undefined) ?? []) workingSet.set(`${pod.podRef.namespace}/${pod.podRef.name}`, Number(pod.memory?.workingSetBytes ?? 0));
  const workers = {} as NodeFacts['workers'];
  for (const variant of WORKERS) {
    const pod = pods.find((p) => p.metadata.namespace === NAMESPACE && isWorker(p, variant));
    if (!pod) throw new LabError(`no running worker-${variant} pod; deploy first (npm run lab -- deploy)`);
    const c = (pod.spec.containers as Obj[]).find((x) => x.name === 'worker') ?? pod.spec.containers[0];
    const limit = quantity(c, 'limits', 'memory');
    const cpuLimit = quantity(c, 'limits', 'cpu');
    workers[variant] = {
      pod: pod.metadata.name,
      workingSetBytes: workingSet.get(`${NAMESPACE}/${pod.metadata.name}`) ?? 0,
      memoryLimitBytes: limit === null ? null : Number(limit),
      memoryRequestBytes: Number(quantity(c, 'requests', 'memory') ?? 0n),
      cpuLimitMilli: cpuLimit === null ? null : Number(cpuLimit),
      cpuRequestMilli: Number(quantity(c, 'requests', 'cpu') ?? 0n),
    };
  }
  return {
    name,
    cpus: Number(milliValue(parseQuantity(node.status.capacity.cpu as string))) / 1000,
    allocatableMilliCpu: Number(milliValue(parseQuantity(node.status.allocatable.cpu as string))),
    requestedMilliCpu: Number(requested),
    burstableMilliCpu: Number(burstable),
    allocatableMemoryBytes: Number(value(parseQuantity(node.status.allocatable.memory as string))),
    podsWorkingSetBytes: [...workingSet.values()].reduce((a, b) => a + b, 0),
    workers,
  };
}

async function calibrate(worker: PortForward): Promise<Calibration> {
  const cpuMs: number[] = [];
  for (let i = 0; i < CALIBRATION_RUNS + 1; i++) {
    const response = await fetch(`${worker.url}/jobs/cpu`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ units: CALIBRATION_UNITS }),
      signal: AbortSignal.timeout(60_000),
    });
    if (!response.ok) throw new LabError(`calibration: the Burstable worker answered ${response.status}`);
    const body = (await response.json()) as { cpuMs: number };
    // The first job warms the JIT up.
    if (i > 0) cpuMs.push(body.cpuMs);
  }
  const sorted = [...cpuMs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  if (!(median > 0)) throw new LabError(`calibration: the worker reported ${median} ms of CPU for ${CALIBRATION_UNITS} units`);
  return { units: CALIBRATION_UNITS, cpuMs, msPerUnit: median / CALIBRATION_UNITS };
}

const guaranteed = (facts: NodeFacts) => {
  const g = facts.workers.guaranteed;
  if (g.cpuLimitMilli === null || g.memoryLimitBytes === null) throw new LabError('worker-guaranteed has no CPU or memory limit: is it still Guaranteed?');
  return { ...g, cpuLimitMilli: g.cpuLimitMilli, memoryLimitBytes: g.memoryLimitBytes };
};

/** Units per job and jobs per second that offer `cores` of CPU in jobs of about JOB_MS. */
export function cpuLoad(cores: number, calibration: Calibration): { rate: number; units: number; offered: number } {
  const rate = Math.max(1, Math.round((cores * 1000) / JOB_MS));
  const units = Math.max(1, Math.round((cores * 1000) / (rate * calibration.msPerUnit)));
  return { rate, units, offered: (rate * units * calibration.msPerUnit) / 1000 };
}

export function throttlePhase(facts: NodeFacts, calibration: Calibration, profile: Profile): PlanPhase {
  const g = guaranteed(facts);
  const { rate, units, offered } = cpuLoad((THROTTLE_FACTOR * g.cpuLimitMilli) / 1000, calibration);
  return {
    name: 'throttle',
    durationS: profile.phaseS.throttle,
    jobs: (['guaranteed', 'burstable'] as const).map((qosClass) => ({ qosClass, kind: 'cpu', rate, units, maxVUs: Math.ceil(rate * profile.phaseS.throttle) + 5 })),
    why: `${rate} jobs/s of ${units} units (${(units * calibration.msPerUnit).toFixed(0)} ms of CPU each) offer the Guaranteed and the Burstable worker ${offered.toFixed(2)} CPU each, ${(offered / (g.cpuLimitMilli / 1000)).toFixed(2)}x the Guaranteed worker's limit of ${g.cpuLimitMilli}m`,
  };
}

/** pkg/kubelet/cm MilliCPUToShares. */
const shares = (milliCpu: number): number => Math.max(2, Math.floor((milliCpu * 1024) / 1000));

/**
 * What each worker gets of one core when all three are busy on it: at the kubepods level the
 * Guaranteed pod's cgroup weighs its own request, the Burstable QoS cgroup the requests of every
 * Burstable pod on the node (busy or not), the BestEffort one 2; a CFS quota caps its container.
 */
export function predictedSplit(facts: NodeFacts): Record<Variant, number> {
  const g = guaranteed(facts);
  const weights = { guaranteed: shares(g.cpuRequestMilli), burstable: shares(facts.burstableMilliCpu), besteffort: 2 };
  const total = weights.guaranteed + weights.burstable + weights.besteffort;
  const gShare = Math.min(weights.guaranteed / total, g.cpuLimitMilli / 1000);
  const rest = 1 - gShare;
  const others = weights.burstable + weights.besteffort;
  return { guaranteed: gShare, burstable: (rest * weights.burstable) / others, besteffort: (rest * weights.besteffort) / others };
}

export function contentionPhase(facts: NodeFacts, calibration: Calibration, profile: Profile): PlanPhase {
  const { units } = cpuLoad(JOB_MS / 1000, calibration);
  const predicted = predictedSplit(facts);
  const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
  return {
    name: 'contention',
    durationS: profile.phaseS.contention,
    jobs: WORKERS.map((qosClass) => ({ qosClass, kind: 'cpu', vus: 2, units })),
    pinToCpu: Math.max(0, Math.round(facts.cpus) - 1),
    predicted,
    why: `every worker busy without a pause, all three pinned to one core: by cpu.shares Guaranteed gets ${pct(predicted.guaranteed)} (its ${facts.workers.guaranteed.cpuRequestMilli}m), Burstable ${pct(predicted.burstable)} (its QoS cgroup weighs every Burstable request on the node, ${facts.burstableMilliCpu}m), BestEffort ${pct(predicted.besteffort)}`,
  };
}

export function oomPhase(facts: NodeFacts, profile: Profile): PlanPhase {
  const g = guaranteed(facts);
  const mib = 32;
  const jobs = Math.ceil((g.memoryLimitBytes - g.workingSetBytes) / (mib * MIB)) + 2;
  const rate = Math.max(1, Math.ceil(jobs / (profile.phaseS.oom / 2)));
  const holdMs = profile.phaseS.oom * 1000;
  return {
    name: 'oom',
    durationS: profile.phaseS.oom,
    jobs: [{ qosClass: 'guaranteed', kind: 'memory', rate, mib, holdMs, iterations: jobs, maxVUs: jobs + 1 }],
    why: `${jobs} jobs holding ${mib} MiB each (${rate}/s) add up to ${jobs * mib} MiB beside the ${(g.workingSetBytes / MIB).toFixed(0)} MiB the Guaranteed worker uses, past its ${g.memoryLimitBytes / MIB} MiB limit, once`,
  };
}

export function pressurePhase(facts: NodeFacts, profile: Profile): PlanPhase {
  const b = facts.workers.burstable;
  const mib = 64;
  // The Burstable worker about half way from its request to its limit: over its request, not OOM-killed.
  const bLimit = b.memoryLimitBytes ?? 4 * Math.max(b.memoryRequestBytes, 64 * MIB);
  const bTarget = (b.memoryRequestBytes + bLimit) / 2;
  const bJobs = Math.max(1, Math.round((bTarget - b.workingSetBytes) / (mib * MIB)));
  // What the BestEffort worker must add for the pods' working set to reach allocatable: quickly to
  // 384 MiB short of it, then 32 MiB every 2 s, so the kubelet (which looks every 10 s) sees the
  // threshold crossed long before the kernel would reach the kubepods limit, 256Mi further on.
  const toThreshold = facts.allocatableMemoryBytes - facts.podsWorkingSetBytes - bJobs * mib * MIB;
  const fastRate = 4;
  // A whole number of seconds at fastRate: an arrival-rate scenario starts rate x seconds jobs.
  const fastJobs = Math.max(0, Math.floor((toThreshold - 384 * MIB) / (mib * MIB) / fastRate) * fastRate);
  const slowMib = 32;
  const slowJobs = Math.max(1, Math.ceil((toThreshold + PRESSURE_MARGIN_BYTES - fastJobs * mib * MIB) / (slowMib * MIB)));
  const fastS = Math.ceil(fastJobs / fastRate);
  const durationS = Math.max(profile.phaseS.pressure, fastS + slowJobs * 2 + 20);
  // Every job lets go at the end of the phase.
  const holdMs = durationS * 1000;
  const jobs: PlanJob[] = [{ qosClass: 'burstable', kind: 'memory', rate: bJobs, mib, holdMs, iterations: bJobs, maxVUs: bJobs + 1 }];
  if (fastJobs > 0) jobs.push({ qosClass: 'besteffort', kind: 'memory', rate: fastRate, mib, holdMs, iterations: fastJobs, maxVUs: fastJobs + 1 });
  jobs.push({ qosClass: 'besteffort', kind: 'memory', rate: 1, timeUnitS: 2, mib: slowMib, holdMs: holdMs - (fastS + 1) * 1000, iterations: slowJobs, maxVUs: slowJobs + 1, delayS: fastS + 1 });
  const total = fastJobs * mib + slowJobs * slowMib;
  return {
    name: 'pressure',
    durationS,
    jobs,
    why: `the Burstable worker holds ${bJobs * mib} MiB more (over its ${b.memoryRequestBytes / MIB} MiB request, under its limit); the BestEffort one ${fastJobs * mib} MiB at ${fastRate * mib} MiB/s, then ${slowMib} MiB every 2 s up to ${total} MiB, ${(PRESSURE_MARGIN_BYTES / MIB).toFixed(0)} MiB past what takes the pods to allocatable (${(facts.allocatableMemoryBytes / MIB).toFixed(0)} MiB): the kubelet's hard eviction threshold, 256Mi before the kubepods limit`,
  };
}

/** The k6 Job of k8s/experiment running one phase. */
function k6Job(kube: Kube, phase: PlanPhase): Obj[] {
  const objects = renderWithOverrides(kube, join(repoRoot, 'k8s', 'experiment'));
  const job = objects.find((o) => o.kind === 'Job');
  if (!job) throw new LabError('k8s/experiment renders no Job');
  job.spec.activeDeadlineSeconds = phase.durationS + 300;
  const container = (job.spec.template.spec.containers as Obj[])[0]!;
  const keep = (container.env as Obj[]).filter((e) => ['WORKER_URLS', 'SUMMARY_DIR', 'K6_NO_USAGE_REPORT', 'HOME'].includes(e.name as string));
  const { why: _why, pinToCpu: _pin, predicted: _predicted, ...planned } = phase;
  container.env = [...keep, { name: 'QOS_PLAN', value: JSON.stringify({ phases: [{ ...planned, startS: 0 }] }) }];
  return objects;
}

/** Pins every thread of each worker's process (PID 1 of its container) to `cpu`, or back to all CPUs. */
function pinWorkers(kube: Kube, cpus: string): void {
  const pods = (kube.json(['-n', NAMESPACE, 'get', 'pods', '-l', 'app.kubernetes.io/name=worker']).items as Obj[]).filter(live);
  for (const pod of pods) {
    const result = kube.run(['-n', NAMESPACE, 'exec', pod.metadata.name, '-c', 'worker', '--', 'taskset', '-a', '-p', '-c', cpus, '1']);
    if (result.status !== 0) throw new LabError(`cannot set the CPU affinity of ${pod.metadata.name} (taskset): ${result.stderr.trim().split('\n').pop()}`);
  }
}

export interface ExperimentOptions {
  profile: Profile;
  log: Log;
  runDir?: string;
}

interface PhaseWindow {
  name: PhaseName;
  start: number;
  end: number;
}

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
const now = () => Date.now() / 1000;

/** Merges k6 summaries (one per phase): their metrics carry the phase in their tags. */
function mergeSummaries(summaries: Obj[]): Obj {
  const merged: Obj = { format: summaries[0]?.format, script: 'qos-lab', passed: summaries.every((s) => s.passed), metrics: {}, thresholds: [], checks: [] };
  for (const s of summaries) {
    Object.assign(merged.metrics, s.metrics ?? {});
    merged.thresholds.push(...((s.thresholds as unknown[]) ?? []));
    merged.checks.push(...((s.checks as unknown[]) ?? []));
  }
  return merged;
}

export async function experiment(kube: Kube, { profile, log, runDir = join(repoRoot, '.run', 'qos-experiment', stamp()) }: ExperimentOptions): Promise<string> {
  kube.requireReachable();
  mkdirSync(runDir, { recursive: true });
  const save = (file: string, data: unknown) => writeFileSync(join(runDir, file), `${typeof data === 'string' ? data : JSON.stringify(data, null, 2)}\n`);
  log(`run directory: ${runDir}`);
  const forwards: PortForward[] = [];
  const phases: PlanPhase[] = [];
  const windows: PhaseWindow[] = [];
  const summaries: Obj[] = [];
  let snapshot = 0;
  const watch = (label: string): { pressure: string; workers: string } => {
    snapshot++;
    const pods = kube.ok(['-n', NAMESPACE, 'get', 'pods', '-o', 'json']);
    save(`pods-${String(snapshot).padStart(4, '0')}.json`, pods);
    const node = kube.json(['get', 'node', facts.name]);
    save(`node-${String(snapshot).padStart(4, '0')}.json`, { time: now(), conditions: node.status.conditions });
    const pressure = ((node.status.conditions as Obj[]).find((c) => c.type === 'MemoryPressure')?.status as string) ?? '?';
    const all = (JSON.parse(pods).items as Obj[]).filter((p) => p.metadata.labels?.['app.kubernetes.io/name'] === 'worker');
    const gone = all.filter((p) => p.status?.reason === 'Evicted').length;
    const workers = all
      .filter(live)
      .map((p) => {
        const cs = p.status?.containerStatuses?.[0];
        const last = cs?.lastState?.terminated?.reason as string | undefined;
        return `${p.metadata.labels['qoslab.dev/variant']} ${p.status?.phase}${p.status?.reason ? `/${p.status.reason}` : ''}${cs?.ready ? '' : ' (not ready)'} restarts=${cs?.restartCount ?? 0}${last ? ` last=${last}` : ''}`;
      })
      .join(' | ');
    log(`  ${label} MemoryPressure=${pressure} | ${workers}${gone > 0 ? ` | ${gone} evicted pod(s)` : ''}`);
    return { pressure, workers };
  };
  const workersReady = async () =>
    until(
      'the three workers were not Ready again',
      () => {
        const pods = (kube.json(['-n', NAMESPACE, 'get', 'pods', '-l', 'app.kubernetes.io/name=worker']).items as Obj[]).filter(live);
        return WORKERS.every((v) => pods.some((p) => isWorker(p, v) && p.status?.containerStatuses?.[0]?.ready === true)) ? true : undefined;
      },
      300_000,
      2000,
    );

  const runPhase = async (phase: PlanPhase, index: number): Promise<void> => {
    phases.push(phase);
    save('plan.json', { profile: profile.name, phases });
    log(`[${index}/7] ${phase.name} for ${phase.durationS}s: ${phase.why}`);
    kube.run(['-n', NAMESPACE, 'delete', 'job', K6_JOB, '--ignore-not-found', '--wait=true'], undefined, 120_000);
    if (phase.pinToCpu !== undefined) pinWorkers(kube, String(phase.pinToCpu));
    kube.apply(k6Job(kube, phase));
    const started = await until(
      'the k6 pod did not start',
      () => {
        const pods = kube.json(['-n', NAMESPACE, 'get', 'pods', '-l', 'app.kubernetes.io/name=k6']).items as Obj[];
        const state = pods.find(live)?.status?.containerStatuses?.[0]?.state;
        const waiting = state?.waiting?.reason as string | undefined;
        if (waiting === 'ErrImagePull' || waiting === 'ImagePullBackOff' || waiting === 'ErrImageNeverPull') {
          throw new LabError(`the k6 pod cannot get its image (${waiting}: ${state.waiting.message ?? ''}); npm run lab -- prefetch loads it`);
        }
        const at = state?.running?.startedAt as string | undefined;
        return at ? Date.parse(at) / 1000 : undefined;
      },
      120_000,
    );
    windows.push({ name: phase.name, start: started, end: started + phase.durationS });
    save('windows.json', windows);
    for (;;) {
      await sleep(5000);
      watch(`+${Math.round(now() - started)}s [${phase.name}]`);
      const job = kube.json(['-n', NAMESPACE, 'get', 'job', K6_JOB]);
      if ((job.status?.succeeded ?? 0) > 0 || (job.status?.failed ?? 0) > 0) break;
      if (now() > started + phase.durationS + 300) throw new LabError(`k6 still running 300 s after the ${phase.name} phase; the data so far is in ${runDir}`);
    }
    if (phase.pinToCpu !== undefined) pinWorkers(kube, `0-${Math.max(0, Math.round(facts.cpus) - 1)}`);
    const k6Log = kube.run(['-n', NAMESPACE, 'logs', `job/${K6_JOB}`]).stdout;
    save(`k6-${phase.name}.log`, k6Log);
    const marker = '--- qoslab k6 summary ---';
    const json = k6Log.includes(marker) ? k6Log.slice(k6Log.indexOf(marker) + marker.length).trim() : '';
    try {
      summaries.push(JSON.parse(json) as Obj);
    } catch {
      log(`  no k6 summary for ${phase.name} (see k6-${phase.name}.log)`);
    }
  };

  let facts!: NodeFacts;
  try {
    log('[1/7] calibrating: CPU time of one work unit on the Burstable worker, alone');
    const burstable = await kube.portForward(NAMESPACE, 'svc/worker-burstable', 8084);
    forwards.push(burstable);
    const calibration = await calibrate(burstable);
    save('calibration.json', calibration);
    log(`  one unit = ${calibration.msPerUnit.toFixed(3)} ms of CPU (median of ${calibration.cpuMs.map((v) => v.toFixed(0)).join(', ')} ms for ${calibration.units} units)`);

    log('[2/7] the node now, and port-forwards to Prometheus and Jaeger');
    facts = nodeFacts(kube);
    save('node.json', facts);
    log(`  ${facts.cpus} CPUs, ${facts.requestedMilliCpu}m of ${facts.allocatableMilliCpu}m requested; pods use ${(facts.podsWorkingSetBytes / MIB).toFixed(0)} MiB of ${(facts.allocatableMemoryBytes / MIB).toFixed(0)} MiB allocatable`);
    const prometheus = await kube.portForward('observability', 'svc/prometheus', 9090);
    const jaeger = await kube.portForward('observability', 'svc/jaeger', 16686);
    forwards.push(prometheus, jaeger);
    save('pods-0000.json', kube.ok(['-n', NAMESPACE, 'get', 'pods', '-o', 'json']));
    const k6Start = now();

    await runPhase(throttlePhase(facts, calibration, profile), 3);
    await workersReady();
    await runPhase(contentionPhase(nodeFacts(kube), calibration, profile), 4);
    await workersReady();
    await runPhase(oomPhase(nodeFacts(kube), profile), 5);
    await workersReady();
    await runPhase(pressurePhase(nodeFacts(kube), profile), 6);
    await workersReady().catch((error: unknown) => log(`  ${(error as Error).message}`));
    watch('after');

    log('[7/7] collecting the k6 summaries, events, metrics and traces');
    save('k6-summary.json', mergeSummaries(summaries));
    save('events.json', kube.ok(['-n', NAMESPACE, 'get', 'events', '-o', 'json']));
    // Counters are exported every 5 s: wait for the last export to arrive.
    await sleep(12_000);
    const window = (name: PhaseName) => windows.find((w) => w.name === name)!;
    const over = (name: PhaseName) => `${Math.round(window(name).end - window(name).start)}s`;
    const selector = `k8s_namespace_name="${NAMESPACE}"`;
    const queries: Record<string, [string, PhaseName]> = {
      'prometheus-throttled.json': [`sum by (shop_qos_class) (increase(shop_container_cpu_throttled_periods_total{${selector}}[${over('throttle')}]))`, 'throttle'],
      'prometheus-periods.json': [`sum by (shop_qos_class) (increase(shop_container_cpu_periods_total{${selector}}[${over('throttle')}]))`, 'throttle'],
      // From the kubelet (kubelet_stats), not the workers' own metrics: a starved worker exports late.
      'prometheus-cpu-contention.json': [
        `label_replace(sum by (k8s_deployment_name) (increase(container_cpu_time_seconds_total{${selector},k8s_container_name="worker"}[${over('contention')}])), "shop_qos_class", "$1", "k8s_deployment_name", "worker-(.*)")`,
        'contention',
      ],
      'prometheus-memory-pressure.json': [`max by (shop_qos_class) (max_over_time(shop_container_memory_usage_bytes{${selector}}[${over('pressure')}]))`, 'pressure'],
    };
    // Saved in the shape of the APIs' answers, which the report reads; a query that fails leaves its file out.
    for (const [file, [query, phase]] of Object.entries(queries)) {
      try {
        save(file, { status: 'success', data: { resultType: 'vector', result: await promQuery(prometheus.url, query, window(phase).end) } });
      } catch (error) {
        log(`  ${file} left out: ${(error as Error).message}`);
      }
    }
    for (const variant of WORKERS) {
      try {
        save(`jaeger-worker-${variant}.json`, { data: await findTraces(jaeger.url, { service: `worker-${variant}`, start: k6Start * 1000, end: Date.now(), limit: 500 }) });
      } catch (error) {
        log(`  jaeger-worker-${variant}.json left out: ${(error as Error).message}`);
      }
    }
    const run = readRun(runDir);
    const rows = buildReport(run, 'http://localhost:16686');
    const findings = buildFindings(run);
    save('report.json', { rows, findings });
    process.stdout.write(formatReport(rows) + formatFindings(findings, rows));
    log(`raw data in ${runDir}`);
    return runDir;
  } finally {
    if (facts) {
      try {
        pinWorkers(kube, `0-${Math.max(0, Math.round(facts.cpus) - 1)}`);
      } catch (error) {
        log(`  could not give the workers every CPU back: ${(error as Error).message}`);
      }
    }
    for (const forward of forwards) forward.close();
  }
}
