import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..', '..');

export type ClusterTool =
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kubelet'
  | 'kube-proxy'
  | 'kubectl'
  | 'coredns'
  | 'kube-router'
  | 'pause';

const resolved = new Map<ClusterTool, string>();

/** A program from the tool cache, built the first time (tools/toolchain.sh; progress on stderr). */
export function toolPath(name: ClusterTool): string {
  const known = resolved.get(name);
  if (known) return known;
  const path = execFileSync('bash', [join(repoRoot, 'tools', 'toolchain.sh'), 'ensure', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  if (!path.startsWith('/')) throw new Error(`toolchain.sh printed no absolute path for ${name}: ${path}`);
  resolved.set(name, path);
  return path;
}
