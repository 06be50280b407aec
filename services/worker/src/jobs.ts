import { metrics, trace } from '@opentelemetry/api';
import { HttpError } from '@qoslab/http-kit';

const MIB = 1024 * 1024;
const PAGE = 4096;
/** Iterations of the CPU loop in one unit: about a millisecond on a current x86 core. */
export const ITERATIONS_PER_UNIT = 200_000;

const meter = metrics.getMeter('@qoslab/worker');
const tracer = trace.getTracer('@qoslab/worker');
const jobs = meter.createCounter('shop.worker.jobs', { description: 'Jobs the worker ran, by kind and outcome', unit: '{job}' });
const active = meter.createUpDownCounter('shop.worker.jobs.active', { description: 'Jobs running now', unit: '{job}' });
const jobDuration = meter.createHistogram('shop.worker.job.duration', {
  description: 'Wall-clock time of a job, including time waiting for CPU',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] },
});
const held = meter.createGauge('shop.worker.memory.held', { description: 'Memory held by running memory jobs', unit: 'By' });

export interface JobLimits {
  maxCpuUnits: number;
  maxMemoryMib: number;
  maxHoldMs: number;
  maxConcurrentJobs: number;
}

export interface CpuResult {
  units: number;
  cpuMs: number;
  wallMs: number;
  checksum: number;
}

export interface MemoryResult {
  mib: number;
  holdMs: number;
  wallMs: number;
}

class BudgetExhaustedError extends HttpError {
  constructor(detail: string) {
    super(429, 'Too many requests', detail, '/problems/budget-exhausted');
  }
}

/** Burns CPU deterministically; the checksum keeps the loop from being optimised away. */
export function burn(units: number): number {
  let x = 0x9e3779b9;
  for (let i = 0; i < units * ITERATIONS_PER_UNIT; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x >>> 0;
}

/** Runs CPU and memory jobs within the configured bounds; over a bound is a 429, never a crash. */
export class JobRunner {
  private running = 0;
  private heldBytes = 0;

  constructor(private readonly limits: JobLimits) {}

  get heldMib(): number {
    return this.heldBytes / MIB;
  }

  cpu(units: number): CpuResult {
    return this.run('cpu', () =>
      tracer.startActiveSpan('worker.cpu_job', { attributes: { 'shop.job.units': units } }, (span) => {
        try {
          const wall = performance.now();
          const cpu = process.cpuUsage();
          const checksum = burn(units);
          const used = process.cpuUsage(cpu);
          return { units, cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall, checksum };
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
        try {
          const block = Buffer.allocUnsafe(bytes);
          // Touch every page so the memory is really committed and charged to the cgroup.
          for (let offset = 0; offset < bytes; offset += PAGE) block[offset] = 1;
          await new Promise((resolve) => setTimeout(resolve, holdMs));
          return { mib, holdMs, wallMs: performance.now() - wall };
        } finally {
          this.heldBytes -= bytes;
          held.record(this.heldBytes);
          span.end();
        }
      }),
    );
  }

  private run<T>(kind: 'cpu' | 'memory', job: () => T): T {
    if (this.running >= this.limits.maxConcurrentJobs) {
      throw new BudgetExhaustedError(`${this.running} jobs are running; WORKER_MAX_CONCURRENT_JOBS=${this.limits.maxConcurrentJobs}`);
    }
    this.running++;
    active.add(1, { 'shop.job.kind': kind });
    const started = performance.now();
    const finish = (outcome: 'completed' | 'failed') => {
      this.running--;
      active.add(-1, { 'shop.job.kind': kind });
      jobs.add(1, { 'shop.job.kind': kind, 'shop.job.outcome': outcome });
      jobDuration.record((performance.now() - started) / 1000, { 'shop.job.kind': kind });
    };
    try {
      const result = job();
      if (result instanceof Promise) {
        return result.then(
          (value) => (finish('completed'), value),
          (error: unknown) => {
            finish('failed');
            throw error;
          },
        ) as T;
      }
      finish('completed');
      return result;
    } catch (error) {
      finish('failed');
      throw error;
    }
  }
}
