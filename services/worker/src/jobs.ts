import { Worker } from 'node:worker_threads';
import { metrics, trace } from '@opentelemetry/api';
import { HttpError } from '@qoslab/http-kit';
import type { WorkerJobLimits } from '@qoslab/contracts';
import { PROBLEM_TYPES } from '@qoslab/contracts';
import { METRICS } from '@qoslab/contracts/metrics';

const MIB = 1024 * 1024;
const PAGE = 4096;
/** Iterations of the CPU loop in one unit: about a millisecond on a current x86 core. */
export const ITERATIONS_PER_UNIT = 200_000;

const meter = metrics.getMeter('@qoslab/worker');
const tracer = trace.getTracer('@qoslab/worker');
const jobs = meter.createCounter(METRICS.workerJobs.name, METRICS.workerJobs);
const active = meter.createUpDownCounter(METRICS.workerJobsActive.name, METRICS.workerJobsActive);
const jobDuration = meter.createHistogram(METRICS.workerJobDuration.name, METRICS.workerJobDuration);
const held = meter.createGauge(METRICS.workerMemoryHeld.name, METRICS.workerMemoryHeld);

export interface JobLimits extends WorkerJobLimits {
  maxConcurrentJobs: number;
}

export interface CpuResult {
  units: number;
  /** CPU time the job's thread used. */
  cpuMs: number;
  /** Wall-clock time from the job's start to its end: its CPU time plus any wait for CPU (throttling). */
  wallMs: number;
  /** Time the job waited behind earlier jobs before it started. */
  queuedMs: number;
  checksum: number;
}

export interface MemoryResult {
  mib: number;
  holdMs: number;
  wallMs: number;
}

class BudgetExhaustedError extends HttpError {
  constructor(detail: string) {
    super(429, 'Too many requests', detail, PROBLEM_TYPES.budgetExhausted);
  }
}

/** The request that asked for a queued job went away before the job started: nothing was run. */
export class JobAbandonedError extends Error {
  constructor() {
    super('the client went away before the job started');
    this.name = 'JobAbandonedError';
  }
}

/**
 * Burns CPU deterministically; the checksum keeps the loop from being optimised away. Self-contained
 * (it reads nothing but its arguments): the CPU thread runs its source text.
 */
export function burn(units: number, iterationsPerUnit: number): number {
  let x = 0x9e3779b9;
  for (let i = 0; i < units * iterationsPerUnit; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x >>> 0;
}

// The CPU thread runs one job at a time, so a worker uses at most one core for its jobs, as before,
// while its main thread stays free for probes, other requests and telemetry export.
const CPU_THREAD = `
const { parentPort } = require('node:worker_threads');
const burn = ${burn.toString()};
parentPort.on('message', ({ id, units }) => {
  const cpu = process.threadCpuUsage();
  const started = performance.now();
  const checksum = burn(units, ${ITERATIONS_PER_UNIT});
  const used = process.threadCpuUsage(cpu);
  parentPort.postMessage({ id, checksum, cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started });
});
`;

interface ThreadResult {
  id: number;
  checksum: number;
  cpuMs: number;
  wallMs: number;
}

interface Pending {
  id: number;
  units: number;
  enqueued: number;
  signal: AbortSignal | undefined;
  resolve: (result: CpuResult) => void;
  reject: (error: Error) => void;
}

/** Runs CPU and memory jobs within the configured bounds; over a bound is a 429, never a crash. */
export class JobRunner {
  private running = 0;
  private heldBytes = 0;
  /** Memory jobs' blocks, referenced until their hold ends (unreferenced, the GC would free them early). */
  private readonly blocks = new Set<Buffer>();
  private thread?: Worker;
  private readonly queue: Pending[] = [];
  private current?: Pending & { started: number };
  private nextId = 0;

  constructor(private readonly limits: JobLimits) {
    // From the start, not from the first job: the live view's panels show 0 instead of no data.
    held.record(0);
    for (const kind of ['cpu', 'memory']) active.add(0, { 'shop.job.kind': kind });
  }

  get heldMib(): number {
    return this.heldBytes / MIB;
  }

  /** Whether a CPU job is running on the CPU thread now. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Runs `units` of CPU work on the CPU thread, after the jobs queued before it. */
  cpu(units: number, signal?: AbortSignal): Promise<CpuResult> {
    return this.run('cpu', () =>
      tracer.startActiveSpan('worker.cpu_job', { attributes: { 'shop.job.units': units } }, async (span) => {
        try {
          const result = await new Promise<CpuResult>((resolve, reject) => {
            this.queue.push({ id: this.nextId++, units, enqueued: performance.now(), signal, resolve, reject });
            this.dispatch();
          });
          span.setAttributes({ 'shop.job.cpu_ms': result.cpuMs, 'shop.job.wall_ms': result.wallMs, 'shop.job.queued_ms': result.queuedMs });
          return result;
        } finally {
          span.end();
        }
      }),
    );
  }

  async memory(mib: number, holdMs: number): Promise<MemoryResult> {
    const bytes = mib * MIB;
    if (this.heldBytes + bytes > this.limits.maxMemoryMib * MIB) {
      throw new BudgetExhaustedError(
        `holding ${mib} MiB more would exceed WORKER_MAX_MEMORY_MIB=${this.limits.maxMemoryMib} (held now: ${this.heldMib} MiB)`,
      );
    }
    return this.run('memory', () =>
      tracer.startActiveSpan('worker.memory_job', { attributes: { 'shop.job.mib': mib, 'shop.job.hold_ms': holdMs } }, async (span) => {
        const wall = performance.now();
        this.heldBytes += bytes;
        held.record(this.heldBytes);
        let block: Buffer | undefined;
        try {
          block = Buffer.allocUnsafe(bytes);
          this.blocks.add(block);
          // Touch every page so the memory is really committed and charged to the cgroup.
          for (let offset = 0; offset < bytes; offset += PAGE) block[offset] = 1;
          await new Promise((resolve) => setTimeout(resolve, holdMs));
          return { mib, holdMs, wallMs: performance.now() - wall };
        } finally {
          if (block) this.blocks.delete(block);
          this.heldBytes -= bytes;
          held.record(this.heldBytes);
          span.end();
        }
      }),
    );
  }

  /** Stops the CPU thread; queued jobs fail. */
  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(new Error('the worker is shutting down'));
    await this.thread?.terminate();
    this.thread = undefined;
  }

  private cpuThread(): Worker {
    if (this.thread) return this.thread;
    const thread = new Worker(CPU_THREAD, { eval: true });
    thread.on('message', (message: ThreadResult) => {
      const job = this.current;
      if (!job || job.id !== message.id) return;
      this.current = undefined;
      job.resolve({ units: job.units, checksum: message.checksum, cpuMs: message.cpuMs, wallMs: message.wallMs, queuedMs: job.started - job.enqueued });
      this.dispatch();
    });
    thread.on('error', (error) => {
      this.current?.reject(error);
      this.current = undefined;
      this.thread = undefined;
      this.dispatch();
    });
    // The thread must not keep a shutting-down process alive.
    thread.unref();
    this.thread = thread;
    return thread;
  }

  private dispatch(): void {
    while (!this.current && this.queue.length > 0) {
      const job = this.queue.shift()!;
      if (job.signal?.aborted) {
        job.reject(new JobAbandonedError());
        continue;
      }
      this.current = { ...job, started: performance.now() };
      this.cpuThread().postMessage({ id: job.id, units: job.units });
    }
  }

  private run<T>(kind: 'cpu' | 'memory', job: () => Promise<T>): Promise<T> {
    if (this.running >= this.limits.maxConcurrentJobs) {
      throw new BudgetExhaustedError(`${this.running} jobs are running or queued; WORKER_MAX_CONCURRENT_JOBS=${this.limits.maxConcurrentJobs}`);
    }
    this.running++;
    active.add(1, { 'shop.job.kind': kind });
    const started = performance.now();
    const finish = (outcome: 'completed' | 'failed' | 'abandoned') => {
      this.running--;
      active.add(-1, { 'shop.job.kind': kind });
      jobs.add(1, { 'shop.job.kind': kind, 'shop.job.outcome': outcome });
      if (outcome !== 'abandoned') jobDuration.record((performance.now() - started) / 1000, { 'shop.job.kind': kind });
    };
    return job().then(
      (value) => (finish('completed'), value),
      (error: unknown) => {
        finish(error instanceof JobAbandonedError ? 'abandoned' : 'failed');
        throw error;
      },
    );
  }
}
