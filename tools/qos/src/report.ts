/**
 * `qos report`: the QoS experiment's result table, computed from what `npm run lab -- experiment`
 * saved in its run directory:
 *
 *   pods-*.json               `kubectl get pods -n qos-lab -o json`, one snapshot per poll, in order
 *   events.json               `kubectl get events -n qos-lab -o json` at the end
 *   prometheus-throttled.json Prometheus query API answer: CFS periods throttled per shop_qos_class
 *   prometheus-periods.json   Prometheus query API answer: CFS periods per shop_qos_class
 *   k6-summary.json           the k6 summary (loadtest/lib/summary.js, format qoslab-k6-summary/1)
 *   jaeger-<variant>.json     Jaeger query API answer (/api/traces) for that worker's service
 *
 * and, from `npm run lab -- experiment` (phases sized to the node):
 *
 *   plan.json, windows.json   the phases and their start and end (Unix seconds)
 *   node-*.json               the node's conditions at each poll ({ time, conditions })
 *   prometheus-cpu-contention.json  CPU seconds per shop_qos_class during the contention phase
 *
 * Every file but the pod snapshots is optional: a missing source leaves its columns empty.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from './manifests.js';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const WORKER_NAME = 'worker';
const VARIANT_LABEL = 'qoslab.dev/variant';

export interface TraceLink {
  traceId: string;
  durationMs: number;
  url: string;
}

export interface VariantRow {
  /** Deployment name, e.g. worker-guaranteed. */
  variant: string;
  /** The shop.qos.class value (guaranteed, burstable, besteffort). */
  qosLabel: string;
  /** status.qosClass as Kubernetes computed it. */
  qosClass: string;
  pods: number;
  restarts: number;
  oomKills: number;
  evictions: number;
  /** Throttled CFS periods / all CFS periods; null when the container had no CFS quota (no CPU limit) or no data. */
  throttledShare: number | null;
  cfsPeriods: number | null;
  p95CpuMs: number | null;
  p95MemoryMs: number | null;
  failedRate: number | null;
  slowestTraces: TraceLink[];
  /** The worker container's CPU request, in cores. */
  cpuRequestCores: number;
  /** CPU it got during the contention phase, in cores (CPU seconds / phase seconds). */
  contentionCores: number | null;
  /** What the cgroups' cpu.shares give it in that phase (plan.json), in cores. */
  predictedContentionCores: number | null;
}

export interface Eviction {
  variant: string;
  pod: string;
  /** evicted: the eviction manager chose the running pod; rejected: refused at admission while the node was under pressure. */
  kind: 'evicted' | 'rejected';
  /** Unix seconds. */
  at: number | null;
  phase: string | null;
  /** From the kubelet's event: what the container used and requested when it was chosen. */
  usage?: string;
  request?: string;
  message: string;
}

export interface OomKill {
  variant: string;
  at: number | null;
  phase: string | null;
  exitCode: number | null;
}

export interface PhaseWindow {
  name: string;
  start: number;
  end: number;
}

/** What the experiment showed, phase by phase, in the cluster's own data. */
export interface Findings {
  phases: PhaseWindow[];
  /** Variants throttled in more than 1% of their CFS periods during the throttle (or cpu) phase. */
  throttled: string[];
  oomKills: OomKill[];
  /** Every other end of a worker container: liveness kills, evictions' shutdowns, exits. */
  otherTerminations: { variant: string; at: number | null; phase: string | null; reason: string }[];
  evictions: Eviction[];
  memoryPressure: { observed: boolean; first: number | null };
}

export interface RunData {
  snapshots: unknown[];
  events?: unknown;
  throttled?: unknown;
  periods?: unknown;
  cpuContention?: unknown;
  k6Summary?: unknown;
  jaeger: Record<string, unknown>;
  windows?: unknown;
  plan?: unknown;
  nodes: unknown[];
}

interface Termination {
  id: string;
  reason: string;
  finishedAt: number | null;
  exitCode: number | null;
}

interface PodView {
  uid: string;
  name: string;
  variant: string;
  qosLabel: string;
  qosClass?: string;
  evicted: boolean;
  cpuRequestCores: number;
  containers: { name: string; restartCount: number; terminations: Termination[] }[];
}

const seconds = (value: unknown): number | null => {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms / 1000 : null;
};

/** CPU quantity (500m, 1, 0.25) in cores; 0 when absent or unreadable. */
function cores(value: unknown): number {
  if (typeof value !== 'string' && typeof value !== 'number') return 0;
  const text = String(value);
  const milli = /^(\d+)m$/.exec(text);
  if (milli) return Number(milli[1]) / 1000;
  const number = Number(text);
  return Number.isFinite(number) ? number : 0;
}

function podsOf(snapshot: unknown, source: string): PodView[] {
  if (!isObject(snapshot) || !Array.isArray(snapshot.items)) throw new InputError(`${source}: not a pod list (expected kubectl get pods -o json output)`);
  const pods: PodView[] = [];
  for (const item of snapshot.items) {
    if (!isObject(item) || item.kind !== undefined && item.kind !== 'Pod') continue;
    const metadata = isObject(item.metadata) ? item.metadata : {};
    const labels = isObject(metadata.labels) ? metadata.labels : {};
    if (labels['app.kubernetes.io/name'] !== WORKER_NAME) continue;
    const variant = str(labels['app.kubernetes.io/instance']);
    if (variant === undefined) continue;
    const status = isObject(item.status) ? item.status : {};
    const containers = [...asArray(status.initContainerStatuses), ...asArray(status.containerStatuses)].filter(isObject).map((cs) => {
      const terminations: Termination[] = [];
      for (const state of [cs.state, cs.lastState]) {
        const terminated = isObject(state) && isObject(state.terminated) ? state.terminated : undefined;
        if (terminated === undefined) continue;
        const id = str(terminated.containerID) ?? `${str(terminated.startedAt) ?? ''}/${str(terminated.finishedAt) ?? ''}`;
        terminations.push({
          id,
          reason: str(terminated.reason) ?? '',
          finishedAt: seconds(terminated.finishedAt),
          exitCode: typeof terminated.exitCode === 'number' ? terminated.exitCode : null,
        });
      }
      return { name: str(cs.name) ?? '', restartCount: typeof cs.restartCount === 'number' ? cs.restartCount : 0, terminations };
    });
    const spec = isObject(item.spec) ? item.spec : {};
    const worker = asArray(spec.containers).filter(isObject).find((c) => c.name === WORKER_NAME) ?? asArray(spec.containers).filter(isObject)[0];
    const requests = isObject(worker) && isObject(worker.resources) && isObject(worker.resources.requests) ? worker.resources.requests : {};
    const pod: PodView = {
      uid: str(metadata.uid) ?? str(metadata.name) ?? '',
      name: str(metadata.name) ?? '',
      variant,
      qosLabel: str(labels[VARIANT_LABEL]) ?? variant.replace(/^worker-/, ''),
      evicted: status.reason === 'Evicted',
      cpuRequestCores: cores(requests.cpu),
      containers,
    };
    const qosClass = str(status.qosClass);
    if (qosClass !== undefined) pod.qosClass = qosClass;
    pods.push(pod);
  }
  return pods;
}

/** Prometheus instant-vector answer → value per shop_qos_class. */
function vectorByClass(answer: unknown): Map<string, number> {
  const values = new Map<string, number>();
  if (!isObject(answer)) return values;
  if (answer.status !== undefined && answer.status !== 'success') return values;
  const data = isObject(answer.data) ? answer.data : {};
  for (const sample of asArray(data.result)) {
    if (!isObject(sample) || !isObject(sample.metric)) continue;
    const qosClass = str(sample.metric.shop_qos_class);
    const pair = asArray(sample.value);
    const number = Number(pair[1]);
    if (qosClass !== undefined && Number.isFinite(number)) values.set(qosClass, (values.get(qosClass) ?? 0) + number);
  }
  return values;
}

/** k6 summary: a trend's p(95) (ms) or a rate for the submetric with exactly these tags. */
function k6Value(summary: unknown, metric: string, tags: Record<string, string>, stat: string): number | null {
  if (!isObject(summary) || !isObject(summary.metrics)) return null;
  for (const [key, entry] of Object.entries(summary.metrics)) {
    const match = /^([^{]+)\{(.*)\}$/.exec(key);
    if (!match || match[1] !== metric) continue;
    const pairs = new Map((match[2] ?? '').split(',').map((pair) => pair.split(':').map((s) => s.trim()) as [string, string]));
    const wanted = Object.entries(tags);
    if (pairs.size !== wanted.length || !wanted.every(([k, v]) => pairs.get(k) === v)) continue;
    const values = isObject(entry) && isObject(entry.values) ? entry.values : {};
    const result = values[stat];
    return typeof result === 'number' ? result : null;
  }
  return null;
}

/** The slowest traces of a Jaeger /api/traces answer, slowest first. */
export function slowestTraces(answer: unknown, jaegerUi: string, count = 3): TraceLink[] {
  const traces: TraceLink[] = [];
  const data = isObject(answer) ? asArray(answer.data) : [];
  for (const trace of data) {
    if (!isObject(trace)) continue;
    const traceId = str(trace.traceID);
    let first = Infinity;
    let last = -Infinity;
    for (const span of asArray(trace.spans)) {
      if (!isObject(span) || typeof span.startTime !== 'number' || typeof span.duration !== 'number') continue;
      first = Math.min(first, span.startTime);
      last = Math.max(last, span.startTime + span.duration);
    }
    if (traceId === undefined || !Number.isFinite(first)) continue;
    traces.push({ traceId, durationMs: (last - first) / 1000, url: `${jaegerUi.replace(/\/+$/, '')}/trace/${traceId}` });
  }
  return traces.sort((a, b) => b.durationMs - a.durationMs).slice(0, count);
}

export function buildReport(run: RunData, jaegerUi: string): VariantRow[] {
  const rows = new Map<string, VariantRow>();
  const baseline = new Map<string, number>();
  const maxRestarts = new Map<string, number>();
  const oomKills = new Map<string, Set<string>>();
  const evicted = new Map<string, Set<string>>();
  const before = new Set<string>();
  const podsPerVariant = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, key: string, value: string): void => {
    const set = map.get(key) ?? new Set<string>();
    set.add(value);
    map.set(key, set);
  };

  run.snapshots.forEach((snapshot, index) => {
    for (const pod of podsOf(snapshot, `pod snapshot ${index + 1}`)) {
      let row = rows.get(pod.variant);
      if (row === undefined) {
        row = {
          variant: pod.variant,
          qosLabel: pod.qosLabel,
          qosClass: pod.qosClass ?? '?',
          pods: 0,
          restarts: 0,
          oomKills: 0,
          evictions: 0,
          throttledShare: null,
          cfsPeriods: null,
          p95CpuMs: null,
          p95MemoryMs: null,
          failedRate: null,
          slowestTraces: [],
          cpuRequestCores: pod.cpuRequestCores,
          contentionCores: null,
          predictedContentionCores: null,
        };
        rows.set(pod.variant, row);
      }
      if (pod.qosClass !== undefined) row.qosClass = pod.qosClass;
      add(podsPerVariant, pod.variant, pod.uid);
      for (const c of pod.containers) {
        const key = `${pod.uid}/${c.name}`;
        if (index === 0) baseline.set(key, c.restartCount);
        maxRestarts.set(key, Math.max(maxRestarts.get(key) ?? 0, c.restartCount));
        for (const t of c.terminations) {
          const id = `${key}/${t.id}`;
          // A kill already visible in the first snapshot happened before the run.
          if (index === 0) before.add(id);
          else if (t.reason === 'OOMKilled' && !before.has(id)) add(oomKills, pod.variant, id);
        }
      }
    }
  });
  if (rows.size === 0) throw new InputError('no QoS-lab worker pods in the snapshots (pods labelled app.kubernetes.io/name=worker)');

  for (const [key, max] of maxRestarts) {
    const uid = key.slice(0, key.lastIndexOf('/'));
    const variant = [...podsPerVariant].find(([, uids]) => uids.has(uid))?.[0];
    const row = variant === undefined ? undefined : rows.get(variant);
    if (row !== undefined) row.restarts += max - (baseline.get(key) ?? 0);
  }

  // Evictions as buildFindings sees them: by the eviction manager, during the run (not admission refusals).
  for (const e of buildFindings(run).evictions) if (e.kind === 'evicted') add(evicted, e.variant, e.pod);

  const throttled = vectorByClass(run.throttled);
  const periods = vectorByClass(run.periods);
  const contention = vectorByClass(run.cpuContention);
  const contentionWindow = windowsOf(run.windows).find((w) => w.name === 'contention');
  const planned = contentionWindow !== undefined;
  for (const row of rows.values()) {
    row.pods = podsPerVariant.get(row.variant)?.size ?? 0;
    row.oomKills = oomKills.get(row.variant)?.size ?? 0;
    row.evictions = evicted.get(row.variant)?.size ?? 0;
    const p = periods.get(row.qosLabel);
    row.cfsPeriods = p ?? null;
    const t = throttled.get(row.qosLabel);
    row.throttledShare = p !== undefined && p > 0 && t !== undefined ? t / p : null;
    const cpuPhase = planned ? 'throttle' : 'cpu';
    row.p95CpuMs = k6Value(run.k6Summary, 'http_req_duration', { qos_class: row.qosLabel, phase: cpuPhase }, 'p(95)');
    row.p95MemoryMs = planned
      ? k6Value(run.k6Summary, 'http_req_duration', { qos_class: row.qosLabel, phase: row.qosLabel === 'guaranteed' ? 'oom' : 'pressure' }, 'p(95)')
      : k6Value(run.k6Summary, 'http_req_duration', { qos_class: row.qosLabel, phase: 'memory' }, 'p(95)');
    row.failedRate = planned
      ? k6Value(run.k6Summary, 'http_req_failed', { qos_class: row.qosLabel, phase: cpuPhase }, 'rate')
      : k6Value(run.k6Summary, 'http_req_failed', { qos_class: row.qosLabel }, 'rate');
    const used = contention.get(row.qosLabel);
    if (contentionWindow && used !== undefined) row.contentionCores = used / (contentionWindow.end - contentionWindow.start);
    const predicted = predictedOf(run.plan)[row.qosLabel];
    if (predicted !== undefined) row.predictedContentionCores = predicted;
    row.slowestTraces = slowestTraces(run.jaeger[row.variant], jaegerUi);
  }
  const order = ['Guaranteed', 'Burstable', 'BestEffort'];
  return [...rows.values()].sort((a, b) => order.indexOf(a.qosClass) - order.indexOf(b.qosClass) || (a.variant < b.variant ? -1 : 1));
}

/** The contention phase's predicted CPU per class, from plan.json. */
function predictedOf(plan: unknown): Record<string, number> {
  const phases = isObject(plan) ? asArray(plan.phases) : [];
  const contention = phases.filter(isObject).find((p) => p.name === 'contention');
  const predicted = contention && isObject(contention.predicted) ? contention.predicted : {};
  return Object.fromEntries(Object.entries(predicted).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

export function windowsOf(value: unknown): PhaseWindow[] {
  return asArray(value)
    .filter(isObject)
    .filter((w): w is Json & PhaseWindow => typeof w.name === 'string' && typeof w.start === 'number' && typeof w.end === 'number')
    .map((w) => ({ name: w.name, start: w.start, end: w.end }));
}

/** The phase a moment falls in (or the one before it, when between phases). */
function phaseAt(windows: PhaseWindow[], at: number | null): string | null {
  if (at === null || windows.length === 0) return null;
  let found: string | null = null;
  for (const w of windows) if (at >= w.start) found = w.name;
  return found;
}

/** The kubelet's eviction message: "... Container worker was using 3456Ki, request is 0, ..." */
export function evictionUsage(message: string): { usage?: string; request?: string } {
  const match = /Container \S+ was using (\S+?), request is (\S+?),/.exec(message);
  return match ? { usage: match[1]!, request: match[2]! } : {};
}

export function buildFindings(run: RunData): Findings {
  const windows = windowsOf(run.windows);
  const oomKills: OomKill[] = [];
  const otherTerminations: Findings['otherTerminations'] = [];
  const seen = new Set<string>();
  const before = new Set<string>();
  const evictions = new Map<string, Eviction>();
  const evictedBefore = new Set<string>();
  const runStart = windows[0]?.start ?? -Infinity;
  run.snapshots.forEach((snapshot, index) => {
    for (const pod of podsOf(snapshot, `pod snapshot ${index + 1}`)) {
      for (const c of pod.containers) {
        for (const t of c.terminations) {
          const id = `${pod.uid}/${c.name}/${t.id}`;
          if (index === 0) before.add(id);
          if (before.has(id) || seen.has(id)) continue;
          seen.add(id);
          if (t.reason === 'OOMKilled') oomKills.push({ variant: pod.variant, at: t.finishedAt, phase: phaseAt(windows, t.finishedAt), exitCode: t.exitCode });
          else otherTerminations.push({ variant: pod.variant, at: t.finishedAt, phase: phaseAt(windows, t.finishedAt), reason: t.reason });
        }
      }
      if (pod.evicted && index === 0) evictedBefore.add(pod.name);
      else if (pod.evicted && !evictedBefore.has(pod.name) && !evictions.has(pod.name)) evictions.set(pod.name, { variant: pod.variant, pod: pod.name, kind: 'evicted', at: null, phase: null, message: '' });
    }
  });
  for (const event of isObject(run.events) ? asArray(run.events.items) : []) {
    if (!isObject(event) || event.reason !== 'Evicted' || !isObject(event.involvedObject)) continue;
    const pod = str(event.involvedObject.name);
    if (pod === undefined) continue;
    const variant = pod.replace(/-[a-z0-9]+-[a-z0-9]+$/, '');
    const at = seconds(event.eventTime) ?? seconds(event.lastTimestamp) ?? seconds(event.firstTimestamp);
    if (evictedBefore.has(pod) || (at !== null && at < runStart - 10)) continue;
    const message = str(event.message) ?? '';
    const kind = /^The node had condition/.test(message) ? 'rejected' : 'evicted';
    evictions.set(pod, { ...evictions.get(pod), variant: evictions.get(pod)?.variant ?? variant, pod, kind, at, phase: phaseAt(windows, at), message, ...evictionUsage(message) });
  }
  let first: number | null = null;
  for (const node of run.nodes) {
    if (!isObject(node) || typeof node.time !== 'number') continue;
    const pressure = asArray(node.conditions).filter(isObject).find((c) => c.type === 'MemoryPressure');
    if (pressure?.status === 'True' && (first === null || node.time < first)) first = node.time;
  }
  const throttled = vectorByClass(run.throttled);
  const periods = vectorByClass(run.periods);
  const throttledClasses = [...throttled].filter(([label, t]) => (periods.get(label) ?? 0) > 0 && t / (periods.get(label) ?? 1) > 0.01).map(([label]) => label);
  return {
    phases: windows,
    throttled: throttledClasses.sort(),
    oomKills: oomKills.sort((a, b) => (a.at ?? 0) - (b.at ?? 0)),
    otherTerminations: otherTerminations.sort((a, b) => (a.at ?? 0) - (b.at ?? 0)),
    evictions: [...evictions.values()].sort((a, b) => (a.at ?? Infinity) - (b.at ?? Infinity)),
    memoryPressure: { observed: first !== null, first },
  };
}

export function formatFindings(findings: Findings, rows: VariantRow[]): string {
  if (findings.phases.length === 0) return '';
  const start = findings.phases[0]!.start;
  const rel = (at: number | null) => (at === null ? '?' : `+${Math.round(at - start)}s`);
  const lines = ['', 'What the cluster did, phase by phase:'];
  lines.push(`  throttle    throttled (over 1% of CFS periods): ${findings.throttled.length > 0 ? findings.throttled.join(', ') : 'none'}`);
  const contention = rows
    .filter((r) => r.contentionCores !== null)
    .map((r) => `${r.qosLabel} ${r.contentionCores!.toFixed(2)}${r.predictedContentionCores === null ? '' : ` (shares: ${r.predictedContentionCores.toFixed(2)})`}`);
  lines.push(`  contention  CPU of the one shared core each got: ${contention.length > 0 ? contention.join(', ') : 'no data'}`);
  lines.push(`  oom         ${findings.oomKills.length > 0 ? findings.oomKills.map((k) => `${k.variant} OOMKilled at ${rel(k.at)}${k.exitCode === null ? '' : ` (exit ${k.exitCode})`}`).join(', ') : 'no OOM kill'}`);
  const others = findings.otherTerminations.filter((t) => t.phase === 'oom');
  lines.push(`              the other workers meanwhile: ${others.length > 0 ? others.map((t) => `${t.variant} ${t.reason} at ${rel(t.at)}`).join(', ') : 'no restart'}`);
  const evicted = findings.evictions.filter((e) => e.kind === 'evicted');
  const rejected = findings.evictions.filter((e) => e.kind === 'rejected');
  lines.push(`  pressure    MemoryPressure ${findings.memoryPressure.observed ? `True from ${rel(findings.memoryPressure.first)}` : 'never True'}; evicted, in order: ${evicted.length > 0 ? evicted.map((e) => `${e.variant} at ${rel(e.at)}${e.usage ? ` (using ${e.usage}, request ${e.request})` : ''}`).join(', ') : 'none'}`);
  if (rejected.length > 0) lines.push(`              refused at admission while under pressure: ${[...new Set(rejected.map((e) => e.variant))].map((v) => `${v} x${rejected.filter((e) => e.variant === v).length}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function readJson(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(`${path}: not valid JSON: ${(error as Error).message}`);
  }
}

/** Reads a run directory written by `npm run lab -- experiment`. */
export function readRun(dir: string): RunData {
  if (!existsSync(dir)) throw new InputError(`${dir}: no such directory`);
  const files = readdirSync(dir).sort();
  const snapshots = files.filter((f) => /^pods-.*\.json$/.test(f)).map((f) => readJson(join(dir, f)));
  if (snapshots.length === 0) throw new InputError(`${dir}: no pods-*.json snapshots; is this an experiment run directory?`);
  const optional = (name: string): unknown => (files.includes(name) ? readJson(join(dir, name)) : undefined);
  const jaeger: Record<string, unknown> = {};
  for (const f of files) {
    const match = /^jaeger-(.+)\.json$/.exec(f);
    if (match?.[1] !== undefined) jaeger[match[1]] = readJson(join(dir, f));
  }
  return {
    snapshots,
    events: optional('events.json'),
    throttled: optional('prometheus-throttled.json'),
    periods: optional('prometheus-periods.json'),
    cpuContention: optional('prometheus-cpu-contention.json'),
    k6Summary: optional('k6-summary.json'),
    jaeger,
    windows: optional('windows.json'),
    plan: optional('plan.json'),
    nodes: files.filter((f) => /^node-\d+\.json$/.test(f)).map((f) => readJson(join(dir, f))),
  };
}

const ms = (value: number | null): string => {
  if (value === null) return '-';
  return value >= 1000 ? `${(value / 1000).toFixed(2)}s` : `${value.toFixed(0)}ms`;
};
const percent = (value: number | null): string => (value === null ? '-' : `${(value * 100).toFixed(1)}%`);

export function formatReport(rows: VariantRow[]): string {
  const table = [['VARIANT', 'QOS CLASS', 'RESTARTS', 'OOM KILLS', 'EVICTIONS', 'CPU THROTTLED', 'P95 CPU JOB', 'P95 MEMORY JOB', 'FAILED']];
  for (const r of rows) {
    const throttled = r.throttledShare !== null ? percent(r.throttledShare) : r.cfsPeriods === 0 ? 'no limit' : '-';
    table.push([r.variant, r.qosClass, String(r.restarts), String(r.oomKills), String(r.evictions), throttled, ms(r.p95CpuMs), ms(r.p95MemoryMs), percent(r.failedRate)]);
  }
  const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length))) ?? [];
  const lines = table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '));
  lines.push('', 'Slowest traces:');
  for (const r of rows) {
    if (r.slowestTraces.length === 0) {
      lines.push(`  ${r.variant}: none found`);
      continue;
    }
    lines.push(`  ${r.variant}:`);
    for (const t of r.slowestTraces) lines.push(`    ${ms(t.durationMs).padStart(7)}  ${t.url}`);
  }
  lines.push('', 'CPU THROTTLED: share of CFS periods in which the container hit its CPU limit ("no limit": no CFS quota, never throttled).');
  return `${lines.join('\n')}\n`;
}
