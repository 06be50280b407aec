import { metrics } from '@opentelemetry/api';
import { type CgroupSource, readCgroupStats } from './cgroup';
import { METRICS } from '@qoslab/contracts/metrics';

/**
 * Reports the container's vital signs read from its own cgroup, the same numbers under Docker and
 * Kubernetes. Instruments are observed only when the kernel provides the value.
 */
export function registerContainerMetrics(source: CgroupSource, meterName = '@qoslab/telemetry'): void {
  const meter = metrics.getMeter(meterName);
  const memoryUsage = meter.createObservableGauge(METRICS.containerMemoryUsage.name, METRICS.containerMemoryUsage);
  const memoryLimit = meter.createObservableGauge(METRICS.containerMemoryLimit.name, METRICS.containerMemoryLimit);
  const memoryEvents = meter.createObservableCounter(METRICS.containerMemoryEvents.name, METRICS.containerMemoryEvents);
  const cpuUsage = meter.createObservableCounter(METRICS.containerCpuUsage.name, METRICS.containerCpuUsage);
  const cpuPeriods = meter.createObservableCounter(METRICS.containerCpuPeriods.name, METRICS.containerCpuPeriods);
  const cpuThrottledPeriods = meter.createObservableCounter(METRICS.containerCpuThrottledPeriods.name, METRICS.containerCpuThrottledPeriods);
  const cpuThrottledTime = meter.createObservableCounter(METRICS.containerCpuThrottledTime.name, METRICS.containerCpuThrottledTime);
  const pressure = meter.createObservableCounter(METRICS.containerPressureStallTime.name, METRICS.containerPressureStallTime);

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
