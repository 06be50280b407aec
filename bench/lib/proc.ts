import { readCpuSeconds, readRss } from '@qoslab/native-stack';

/** Samples RSS of a set of processes every intervalMs until stopped; keeps the maximum per process, and its file-backed part then. */
export class RssSampler {
  private readonly max = new Map<string, { rssMiB: number; fileMiB: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: Map<string, number>,
    intervalMs = 500,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    for (const [name, pid] of this.pids) {
      try {
        const { rssMiB, fileMiB } = readRss(pid);
        if (rssMiB > (this.max.get(name)?.rssMiB ?? 0)) this.max.set(name, { rssMiB, fileMiB });
      } catch {
        // The process exited; the run notices that elsewhere.
      }
    }
  }

  stop(): Map<string, { rssMiB: number; fileMiB: number }> {
    clearInterval(this.timer);
    this.sample();
    return this.max;
  }
}

/** CPU seconds of each process over a window: call once at the start, then end() at its close. */
export function cpuWindow(pids: Map<string, number>): { end: () => Map<string, { cpuSeconds: number; cores: number }> } {
  const started = performance.now();
  const before = new Map([...pids].map(([name, pid]) => [name, readCpuSeconds(pid)]));
  return {
    end: () => {
      const seconds = (performance.now() - started) / 1000;
      const out = new Map<string, { cpuSeconds: number; cores: number }>();
      for (const [name, pid] of pids) {
        const used = readCpuSeconds(pid) - (before.get(name) ?? 0);
        out.set(name, { cpuSeconds: used, cores: used / seconds });
      }
      return out;
    },
  };
}
