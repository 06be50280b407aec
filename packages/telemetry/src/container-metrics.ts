import { metrics } from '@opentelemetry/api';
import { type CgroupSource, readCgroupStats } from './cgroup';

/**
 * Reports the container's vital signs read from its own cgroup, the same numbers under Docker and
 * Kubernetes. Instruments are observed only when the kernel provides the value.
 */
export function registerContainerMetrics(source: CgroupSource, meterName = '@qoslab/telemetry'): void {
  const meter = metrics.getMeter(meterName);
  const memoryUsage = meter.createObservableGauge('shop.container.memory.usage', {
    description: 'Memory charged to the container cgroup (includes page cache)',
    unit: 'By',
  });
  const memoryLimit = meter.createObservableGauge('shop.container.memory.limit', {
    description: 'Memory limit of the container cgroup; absent when unlimited',
    unit: 'By',
  });
  const memoryEvents = meter.createObservableCounter('shop.container.memory.events', {
    description: 'Memory events of the container cgroup (oom_kill: processes killed by the OOM killer)',
    unit: '{event}',
  });
  const cpuUsage = meter.createObservableCounter('shop.container.cpu.usage', {
    description: 'CPU time consumed by the container cgroup',
    unit: 's',
  });
  const cpuPeriods = meter.createObservableCounter('shop.container.cpu.periods', {
    description: 'CFS enforcement periods that elapsed while the cgroup had runnable tasks',
    unit: '{period}',
  });
  const cpuThrottledPeriods = meter.createObservableCounter('shop.container.cpu.throttled.periods', {
    description: 'CFS periods in which the cgroup hit its CPU quota and was throttled',
    unit: '{period}',
  });
  const cpuThrottledTime = meter.createObservableCounter('shop.container.cpu.throttled.time', {
    description: 'Total time the cgroup was throttled by its CPU quota',
    unit: 's',
  });
  const pressure = meter.createObservableCounter('shop.container.pressure.stall.time', {
    description: 'Pressure stall information: time tasks of the cgroup were stalled on a resource',
    unit: 's',
  });

  meter.addBatchObservableCallback(
    (result) => {
      const stats = readCgroupStats(source);
      if (stats.memoryUsageBytes !== undefined) result.observe(memoryUsage, stats.memoryUsageBytes);
      if (stats.memoryLimitBytes !== undefined) result.observe(memoryLimit, stats.memoryLimitBytes);
      for (const [event, count] of Object.entries(stats.memoryEvents ?? {})) {
        result.observe(memoryEvents, count, { 'shop.memory.event': event });
      }
      if (stats.cpuUsageSeconds !== undefined) result.observe(cpuUsage, stats.cpuUsageSeconds);
      if (stats.cpuPeriods !== undefined) result.observe(cpuPeriods, stats.cpuPeriods);
      if (stats.cpuThrottledPeriods !== undefined) result.observe(cpuThrottledPeriods, stats.cpuThrottledPeriods);
      if (stats.cpuThrottledSeconds !== undefined) result.observe(cpuThrottledTime, stats.cpuThrottledSeconds);
      for (const entry of stats.pressureStallSeconds ?? []) {
        result.observe(pressure, entry.seconds, {
          'shop.pressure.resource': entry.resource,
          'shop.pressure.scope': entry.scope,
        });
      }
    },
    [memoryUsage, memoryLimit, memoryEvents, cpuUsage, cpuPeriods, cpuThrottledPeriods, cpuThrottledTime, pressure],
  );
}
