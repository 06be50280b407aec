// The kit's local single-node cluster (scaffolding/cluster) and the workshop's lab command (tools/lab),
// run the way a person runs them: `npm run cluster -- …` and `npm run lab -- …`, on the cluster's context.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, toolPath } from '@qoslab/native-stack';

export const CLUSTER_CLI = join(repoRoot, 'scaffolding', 'cluster', 'src', 'cli.ts');
const LAB_CLI = join(repoRoot, 'tools', 'lab', 'src', 'cli.ts');
export const KUBECONFIG = '/var/lib/qoslab-cluster/admin.kubeconfig';
export const CONTEXT = 'qoslab-local';

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

const node = process.execPath;

export function kubectlPath(): string {
  return toolPath('kubectl');
}

/** The environment the lab needs for this cluster: its context, its kubectl, its image loader. */
export function labEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KUBECONFIG,
    QOSLAB_CONTEXT: CONTEXT,
    QOSLAB_KUBECTL: kubectlPath(),
    QOSLAB_IMAGE_LOADER: `${node} --import tsx ${CLUSTER_CLI} load`,
    ...extra,
  };
}

export function cluster(args: string[], timeoutMs = 1_800_000): Ran {
  const result = spawnSync(node, ['--import', 'tsx', CLUSTER_CLI, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `npm run lab -- args` with its progress passed through to this process's stderr (long steps stay visible). */
export function lab(args: string[], env: NodeJS.ProcessEnv = labEnv(), timeoutMs = 1_800_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, ['--import', 'tsx', LAB_CLI, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export function kubectl(args: string[], input?: string): Ran {
  const result = spawnSync(kubectlPath(), ['--kubeconfig', KUBECONFIG, '--context', CONTEXT, ...args], { input, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function kubectlOk(args: string[], input?: string): string {
  const result = kubectl(args, input);
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

export const kubeJson = (args: string[]): Obj => JSON.parse(kubectlOk([...args, '-o', 'json'])) as Obj;

export const describeRan = (r: Ran): string => `exit ${r.status}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-6000)}`;
