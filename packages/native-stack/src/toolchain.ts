import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export type ToolName =
  | 'otelcol'
  | 'jaeger'
  | 'k6'
  | 'prometheus'
  | 'promtool'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kubelet'
  | 'kube-proxy'
  | 'kubectl'
  | 'coredns'
  | 'kube-router'
  | 'pause';

export const repoRoot = join(__dirname, '..', '..', '..');

const resolved = new Map<ToolName, string>();

/**
 * Absolute path of a third-party tool. Runs `tools/toolchain.sh ensure <name>`, which builds the tool
 * into the tool cache the first time (minutes; its progress goes to this process's stderr).
 */
export function toolPath(name: ToolName): string {
  const known = resolved.get(name);
  if (known) return known;
  const path = execFileSync('bash', [join(repoRoot, 'tools', 'toolchain.sh'), 'ensure', name], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  if (!path.startsWith('/')) throw new Error(`toolchain.sh printed no absolute path for ${name}: ${path}`);
  resolved.set(name, path);
  return path;
}
