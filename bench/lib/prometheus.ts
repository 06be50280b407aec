import { promRange } from '@qoslab/observability-client';

/**
 * The service.instance.id (Prometheus: instance) of the process with this pid, from target_info. The
 * kit's resource detectors give every start a random instance id, so the pid is what the harness knows.
 */
export async function instanceOf(prometheus: string, job: string, pid: number, from: number, to: number): Promise<string | undefined> {
  const seconds = Math.max(1, Math.ceil(to - from));
  const series = await promRange(prometheus, `target_info{job="${job}",process_pid="${pid}"}[${seconds}s]`, to);
  const instances = new Set(series.map((one) => one.metric.instance).filter((instance): instance is string => instance !== undefined));
  if (instances.size > 1) throw new Error(`several instances of ${job} with pid ${pid}: ${[...instances].join(', ')}`);
  return [...instances][0];
}

/**
 * The largest sum over heap spaces of a v8js.memory.* metric (exported by instrumentation-runtime-node
 * through the Collector into Prometheus) among the samples one service instance took in [from, to]
 * (seconds since the epoch). Undefined when no sample fell in the window.
 */
export async function maxHeapBytes(prometheus: string, metric: string, job: string, instance: string, from: number, to: number): Promise<number | undefined> {
  const seconds = Math.max(1, Math.ceil(to - from));
  const series = await promRange(prometheus, `${metric}{job="${job}",instance="${instance}"}[${seconds}s]`, to);
  const byTimestamp = new Map<number, number>();
  for (const one of series) {
    for (const [timestamp, value] of one.values) {
      if (timestamp < from) continue;
      byTimestamp.set(timestamp, (byTimestamp.get(timestamp) ?? 0) + Number(value));
    }
  }
  return byTimestamp.size === 0 ? undefined : Math.max(...byTimestamp.values());
}

export const HEAP_USED = 'v8js_memory_heap_used_bytes';
export const HEAP_TOTAL = 'v8js_memory_heap_space_size_bytes';
