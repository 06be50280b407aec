// Which images the workshop runs, how they are built, how they reach the node, and how an instructor
// carries them to a room without network: one place for all of it.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KIND_CLUSTER, type Kube, LabError, must, type Obj } from './kube.js';
import { repoRoot } from './repo.js';
import { type ProgramName, SERVICES } from '@qoslab/contracts';

export type Log = (line: string) => void;

/** The kit's own services, built from services/Dockerfile and tagged with their package version. */
export const PROJECT_SERVICES = [...SERVICES, 'console'] as const satisfies readonly ProgramName[];
const PROJECT_REPOSITORY = 'qoslab';

/**
 * Third-party images: the variable that replaces each (the same names docker-compose.yml reads), and
 * the repository it replaces. A replacement must be pinned by digest, like the image it replaces.
 */
const THIRD_PARTY: Record<string, string> = {
  OTELCOL_IMAGE: 'otel/opentelemetry-collector-contrib',
  JAEGER_IMAGE: 'jaegertracing/jaeger',
  PROMETHEUS_IMAGE: 'prom/prometheus',
  GRAFANA_IMAGE: 'grafana/grafana',
  POSTGRES_IMAGE: 'postgres',
  K6_IMAGE: 'grafana/k6',
};

function projectVersion(service: string): string {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'services', service, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

export const projectImage = (service: string): string => `${PROJECT_REPOSITORY}/${service}:${projectVersion(service)}`;

/** kubectl kustomize of a directory (no load restrictor: every kustomization loads only its own files). */
export function render(kube: Pick<Kube, 'kubectl'>, dir: string): Obj[] {
  const text = execFileSync(kube.kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Obj | null)
    .filter((obj): obj is Obj => obj !== null);
}

/** Every container image the objects name, sorted, once each. */
export function imagesOf(objects: Obj[]): string[] {
  const images = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if ((key === 'containers' || key === 'initContainers') && Array.isArray(inner)) {
          for (const c of inner as Obj[]) if (typeof c.image === 'string') images.add(c.image);
        } else visit(inner);
      }
    }
  };
  visit(objects);
  return [...images].sort();
}

const isProjectImage = (image: string): boolean => image.startsWith(`${PROJECT_REPOSITORY}/`);

/** The repository of a reference without tag or digest (docker.io/library/ spelled as users write it). */
export function repositoryOf(image: string): string {
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}

export interface Override {
  variable: string;
  repository: string;
  newName: string;
  digest: string;
}

/** Replacements from the environment; each must be repo[:tag]@sha256:<digest>. */
export function imageOverrides(env: NodeJS.ProcessEnv = process.env): Override[] {
  const overrides: Override[] = [];
  for (const [variable, repository] of Object.entries(THIRD_PARTY)) {
    const value = env[variable];
    if (!value) continue;
    const match = /^([^@\s]+)@(sha256:[0-9a-f]{64})$/.exec(value);
    if (!match) throw new LabError(`${variable} must be pinned by digest (repo[:tag]@sha256:<64 hex>), not '${value}'`);
    overrides.push({ variable, repository, newName: repositoryOf(match[1]!), digest: match[2]! });
  }
  return overrides;
}

/**
 * The seam by which images reach the node: `kind load` for the workshop's kind cluster, or the
 * command in QOSLAB_IMAGE_LOADER (given the image references as arguments) for any other cluster.
 */
export function loaderFor(kube: Kube, env: NodeJS.ProcessEnv = process.env): [string, string[]] {
  const custom = env.QOSLAB_IMAGE_LOADER?.trim();
  if (custom) {
    const [command, ...args] = custom.split(/\s+/);
    return [command!, args];
  }
  if (kube.isKind) return ['kind', ['load', 'docker-image', '--name', KIND_CLUSTER]];
  throw new LabError(
    `context "${kube.context}" is not the workshop's kind cluster: set QOSLAB_IMAGE_LOADER to a command that loads Docker images into its node (for the kit's local cluster: "npm run -s cluster -- load")`,
  );
}

export async function loadImages(kube: Kube, images: string[], log: Log, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const [command, args] = loaderFor(kube, env);
  for (const [index, image] of images.entries()) {
    log(`[${index + 1}/${images.length}] loading ${image} into the node`);
    await streamed(command, [...args, image], log);
  }
  restartUsers(kube, images, log);
}

/**
 * A tag now names a new image, but running pods keep the old one: restart the kit's workloads that
 * use a loaded image, so what runs is what was just built.
 */
function restartUsers(kube: Kube, images: string[], log: Log): void {
  const result = kube.run(['get', 'deployments,statefulsets,daemonsets', '-A', '-l', 'app.kubernetes.io/part-of=otel-qos-lab', '-o', 'json']);
  if (result.status !== 0) return;
  for (const workload of (JSON.parse(result.stdout) as Obj).items as Obj[]) {
    const uses = (workload.spec.template.spec.containers as Obj[]).some((c) => images.includes(c.image as string));
    if (!uses) continue;
    kube.ok(['-n', workload.metadata.namespace, 'rollout', 'restart', `${String(workload.kind).toLowerCase()}/${workload.metadata.name}`]);
    log(`restarted ${workload.metadata.namespace}/${workload.metadata.name}, which runs a reloaded image`);
  }
}

/** Runs a command, passing its output on line by line, prefixed (progress stays visible). */
function streamed(command: string, args: string[], log: Log, env: NodeJS.ProcessEnv = process.env, prefix = '    '): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot });
    let tail: string[] = [];
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split(/\r?\n|\r/)) {
        if (!line.trim()) continue;
        tail = [...tail.slice(-9), line];
        log(`${prefix}${line}`);
      }
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    child.once('error', (error) => reject(new LabError(`${command}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : error.message}`)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new LabError(`${command} ${args.slice(0, 4).join(' ')} failed (exit ${code}): ${tail.slice(-2).join(' | ')}`))));
  });
}

/**
 * Builds the kit's images (the five services and the console) from services/Dockerfile. The stages before the last do not depend
 * on the service, so Docker builds them once and every service shares those layers.
 */
export async function buildImages(log: Log, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const args: string[] = [];
  if (env.NODE_IMAGE) args.push('--build-arg', `NODE_IMAGE=${env.NODE_IMAGE}`);
  const built: string[] = [];
  for (const [index, service] of PROJECT_SERVICES.entries()) {
    const image = projectImage(service);
    const started = Date.now();
    log(`[${index + 1}/${PROJECT_SERVICES.length}] building ${image}`);
    await streamed('docker', ['build', ...args, '--build-arg', `SERVICE=${service}`, '-f', join(repoRoot, 'services', 'Dockerfile'), '-t', image, repoRoot], (line) => {
      // Docker's step lines are the progress (the classic builder's "Step n/m", BuildKit's "#n [stage]").
      if (/^(Step \d+\/\d+|#\d+ \[|#\d+ (DONE|CACHED))/.test(line.trim())) log(`    ${line.trim()}`);
    }, env, '');
    log(`[${index + 1}/${PROJECT_SERVICES.length}] built ${image} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    built.push(image);
  }
  return built;
}

/** Third-party images of the deployment and the experiment, as the overrides leave them. */
export function thirdPartyImages(objects: Obj[]): string[] {
  return imagesOf(objects).filter((image) => !isProjectImage(image));
}

export function pull(images: string[], log: Log): void {
  for (const [index, image] of images.entries()) {
    log(`[${index + 1}/${images.length}] docker pull ${image}`);
    must('docker', ['pull', '--quiet', image], { timeoutMs: 1_800_000 });
  }
}
