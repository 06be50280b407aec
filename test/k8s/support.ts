// Shared by the test/k8s suites: rendering the kustomizations as `kubectl apply -k` does (with the
// kubectl of the kind node's version, from the tool cache), parsing the output, and the manifest
// checks built by tools/kube-check/build.sh.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot, toolPath } from '@qoslab/native-stack';
import { podTemplateOf } from '@qoslab/qos-cli';

export const k8sDir = join(repoRoot, 'k8s');

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every kustomization a user or script applies, relative to k8s/. */
export const KUSTOMIZATIONS = ['overlays/kind', 'overlays/local', 'base/shop', 'base/observability', 'base/admission', 'experiment'];

function render(dir: string): string {
  return execFileSync(toolPath('kubectl'), ['kustomize', dir], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

export function parse(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Obj | null)
    .filter((obj): obj is Obj => obj !== null);
}

const cache = new Map<string, string>();
export function rendered(dir: string): string {
  let text = cache.get(dir);
  if (text === undefined) {
    text = render(dir);
    cache.set(dir, text);
  }
  return text;
}

/** Everything the cluster receives: the kind overlay and the experiment's Job. */
export function deployed(): Obj[] {
  return [...parse(rendered(join(k8sDir, 'overlays', 'kind'))), ...parse(rendered(join(k8sDir, 'experiment')))];
}

/** The same, as one multi-document YAML text. */
export const deployedText = (): string => `${rendered(join(k8sDir, 'overlays', 'kind'))}\n---\n${rendered(join(k8sDir, 'experiment'))}`;

/** The pod template of a workload, where the qos CLI finds it (every workload kind); undefined otherwise. */
export const podTemplate = (obj: Obj): Obj | undefined => podTemplateOf(obj) as Obj | undefined;

export function allContainers(template: Obj): Obj[] {
  return [...(template.spec?.initContainers ?? []), ...(template.spec?.containers ?? [])];
}

export const label = (obj: Obj): string => `${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}`;

let kubeCheckPath: string | undefined;
/** tools/kube-check/build.sh: builds into the tool cache once (minutes), then answers at once. */
export function kubeCheck(): string {
  if (kubeCheckPath === undefined) {
    kubeCheckPath = execFileSync('bash', [join(repoRoot, 'tools', 'kube-check', 'build.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  }
  return kubeCheckPath;
}

export function runKubeCheck(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(kubeCheck(), args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
