// The kit's own instruments: the services and the telemetry package create them from these definitions,
// and the dashboards' and rules' tests derive the names Prometheus stores from them. No zod here: the
// telemetry preload imports this module.

export type InstrumentKind = 'counter' | 'up-down-counter' | 'histogram' | 'gauge' | 'observable-counter' | 'observable-gauge';

export interface MetricDefinition {
  name: string;
  kind: InstrumentKind;
  unit: string;
  description: string;
  advice?: { explicitBucketBoundaries: number[] };
}

export const METRICS = {
  orders: { name: 'shop.orders', kind: 'counter', unit: '{order}', description: 'Order placements, by outcome' },
  cacheLookups: { name: 'shop.catalog.cache.lookups', kind: 'counter', unit: '{lookup}', description: 'Product list lookups, by whether the in-memory cache answered' },
  stockAvailable: { name: 'shop.catalog.stock.available', kind: 'observable-gauge', unit: '{item}', description: 'Units of each product that can still be reserved' },
  paymentDuration: {
    name: 'shop.payment.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Time the payment provider took to decide on a charge',
    advice: { explicitBucketBoundaries: [0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5] },
  },
  workerJobs: { name: 'shop.worker.jobs', kind: 'counter', unit: '{job}', description: 'Jobs the worker ran, by kind and outcome' },
  workerJobsActive: { name: 'shop.worker.jobs.active', kind: 'up-down-counter', unit: '{job}', description: 'Jobs running now' },
  workerJobDuration: {
    name: 'shop.worker.job.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Wall-clock time of a job, including time waiting for CPU',
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] },
  },
  workerMemoryHeld: { name: 'shop.worker.memory.held', kind: 'gauge', unit: 'By', description: 'Memory held by running memory jobs' },
  containerMemoryUsage: { name: 'shop.container.memory.usage', kind: 'observable-gauge', unit: 'By', description: 'Memory charged to the container cgroup (includes page cache)' },
  containerMemoryLimit: { name: 'shop.container.memory.limit', kind: 'observable-gauge', unit: 'By', description: 'Memory limit of the container cgroup; absent when unlimited' },
  containerMemoryEvents: {
    name: 'shop.container.memory.events',
    kind: 'observable-counter',
    unit: '{event}',
    description: 'Memory events of the container cgroup (oom_kill: processes killed by the OOM killer)',
  },
  containerCpuUsage: { name: 'shop.container.cpu.usage', kind: 'observable-counter', unit: 's', description: 'CPU time consumed by the container cgroup' },
  containerCpuPeriods: {
    name: 'shop.container.cpu.periods',
    kind: 'observable-counter',
    unit: '{period}',
    description: 'CFS enforcement periods that elapsed while the cgroup had runnable tasks',
  },
  containerCpuThrottledPeriods: {
    name: 'shop.container.cpu.throttled.periods',
    kind: 'observable-counter',
    unit: '{period}',
    description: 'CFS periods in which the cgroup hit its CPU quota and was throttled',
  },
  containerCpuThrottledTime: { name: 'shop.container.cpu.throttled.time', kind: 'observable-counter', unit: 's', description: 'Total time the cgroup was throttled by its CPU quota' },
  containerPressureStallTime: {
    name: 'shop.container.pressure.stall.time',
    kind: 'observable-counter',
    unit: 's',
    description: 'Pressure stall information: time tasks of the cgroup were stalled on a resource',
  },
} satisfies Record<string, MetricDefinition>;
