import { readFileSync } from 'node:fs';

// USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux architecture Node supports.
const CLOCK_TICKS_PER_SECOND = 100;
const MIB = 1024 * 1024;

/** Resident set size and its high-water mark, from /proc/<pid>/status, in MiB. */
export function readRss(pid: number): { rssMiB: number; peakRssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]);
  };
  return { rssMiB: (kib('VmRSS') * 1024) / MIB, peakRssMiB: (kib('VmHWM') * 1024) / MIB };
}

/** CPU time (user + system) the process has used so far, in seconds. */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot parse /proc/${pid}/stat`);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** Samples RSS of a set of processes every intervalMs until stopped; keeps the maximum per process. */
export class RssSampler {
  private readonly max = new Map<string, number>();
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
        const { rssMiB } = readRss(pid);
        this.max.set(name, Math.max(this.max.get(name) ?? 0, rssMiB));
      } catch {
        // The process exited; the run notices that elsewhere.
      }
    }
  }

  stop(): Map<string, number> {
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
