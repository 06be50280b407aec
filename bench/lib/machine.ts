import { readFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname } from 'node:path';
import { toolPath } from '@qoslab/native-stack';
import { type Pinning, PINNING } from './cpus';
import { versionOf } from './setup';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  os: string;
  node: string;
  tools: Record<'wrk' | 'otelcol' | 'jaeger' | 'prometheus', string>;
  /** 1-minute load average when the run started and when it ended: other work on the machine shows here. */
  loadAverage: { before: number; after?: number };
  /** Which cores the services and the rest ran on; absent when the whole machine was shared. */
  pinning?: Pinning;
}

function osName(): string {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(release)?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

/** Jaeger built from source reports an empty version; the tool cache's directory names the release. */
function jaegerVersion(): string {
  const path = toolPath('jaeger');
  const reported = /"gitVersion":"(v?[\d.]+[^"]*)"/.exec(versionOf(path, ['version']))?.[1];
  return reported ? `jaeger ${reported}` : `jaeger ${basename(dirname(path))} (built from source)`;
}

export function describeMachine(wrk: string): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    os: osName(),
    node: process.version,
    tools: {
      wrk: versionOf(wrk, ['--version']).replace(/\s+Copyright.*$/, ''),
      otelcol: versionOf(toolPath('otelcol'), ['--version']),
      jaeger: jaegerVersion(),
      prometheus: versionOf(toolPath('prometheus'), ['--version']),
    },
    loadAverage: { before: Math.round((os.loadavg()[0] ?? 0) * 100) / 100 },
    ...(PINNING ? { pinning: PINNING } : {}),
  };
}
