// Memory cgroups for the `contained` configuration: each service gets a memory limit as a container
// would, so Node.js sizes its heap from it (the images' --max-old-space-size-percentage=70 reads the
// cgroup limit). Needs root and a writable memory controller (cgroup v1 or v2).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessSpec } from '@qoslab/native-stack';

interface Layout {
  version: 1 | 2;
  root: string;
}

function layout(): Layout | string {
  if (process.getuid?.() !== 0) return 'needs root';
  if (existsSync('/sys/fs/cgroup/memory/cgroup.procs')) return { version: 1, root: '/sys/fs/cgroup/memory' };
  try {
    const controllers = readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8');
    if (controllers.split(/\s+/).includes('memory')) return { version: 2, root: '/sys/fs/cgroup' };
  } catch {
    // not cgroup v2 either
  }
  return 'no writable memory cgroup controller';
}

/** Why memory cgroups cannot be used here, or undefined when they can. */
export function memoryCgroupsUnavailable(): string | undefined {
  const found = layout();
  if (typeof found === 'string') return found;
  const probe = join(found.root, `qoslab-bench-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return undefined;
  } catch (error) {
    return `cannot create a cgroup under ${found.root}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** A memory-limited cgroup per program; wrap() makes a spec start its program inside one. */
export class MemoryCgroups {
  private readonly layout: Layout;
  private readonly dirs = new Map<string, string>();

  constructor(
    private readonly name: string,
    private readonly limitMiB: number,
  ) {
    const found = layout();
    if (typeof found === 'string') throw new Error(`memory cgroups unavailable: ${found}`);
    this.layout = found;
  }

  wrap(spec: ProcessSpec, program: string): ProcessSpec {
    const dir = join(this.layout.root, `qoslab-bench-${this.name}-${program}`);
    if (!existsSync(dir)) mkdirSync(dir);
    this.dirs.set(program, dir);
    const bytes = String(this.limitMiB * 1024 * 1024);
    if (this.layout.version === 1) writeFileSync(join(dir, 'memory.limit_in_bytes'), bytes);
    else writeFileSync(join(dir, 'memory.max'), bytes);
    // The shell moves itself into the cgroup, then becomes the program (same pid), so the limit applies
    // from the first allocation and Node.js sees it when it sizes its heap.
    return {
      ...spec,
      command: '/bin/sh',
      args: ['-c', 'echo $$ > "$1" && shift && exec "$@"', 'sh', join(dir, 'cgroup.procs'), spec.command, ...spec.args],
    };
  }

  /**
   * How often the program's memory use reached the limit (the kernel then reclaims, or fails the
   * charge) and how many of its processes the OOM killer ended.
   */
  events(program: string): { limitHits: number; oomKills: number } {
    const dir = this.dirs.get(program);
    if (!dir) throw new Error(`no cgroup for ${program}`);
    const field = (text: string, name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    if (this.layout.version === 1) {
      return {
        limitHits: Number(readFileSync(join(dir, 'memory.failcnt'), 'utf8').trim()),
        oomKills: field(readFileSync(join(dir, 'memory.oom_control'), 'utf8'), 'oom_kill'),
      };
    }
    const events = readFileSync(join(dir, 'memory.events'), 'utf8');
    return { limitHits: field(events, 'max'), oomKills: field(events, 'oom_kill') };
  }

  /** Removes the cgroups; call after their programs have exited. */
  remove(): void {
    const dirs = [...this.dirs.values()];
    this.dirs.clear();
    for (const dir of dirs) {
      try {
        rmdirSync(dir);
      } catch {
        // Still populated (a process did not exit) or already gone.
      }
    }
  }
}
