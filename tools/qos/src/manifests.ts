/**
 * Reading manifest sets: multi-document YAML or JSON (kubectl kustomize output, kubectl get -o
 * yaml|json, hand-written files), Lists expanded, and the pod template of every workload kind.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { QuantityError, parseQuantity } from './quantity.js';
import type { ContainerInput, PodInput, ResourceList } from './qos.js';

/** Bad input: the CLI prints the message as one line and exits 2. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export interface KubeObject {
  /** Where it came from: file name (or "stdin") and document number. */
  source: string;
  object: Record<string, unknown>;
}

export interface PodTemplate {
  source: string;
  kind: string;
  namespace?: string;
  name: string;
  /** Annotations of the pod template (where the lab records the class it expects). */
  annotations: Record<string, string>;
  /** status.qosClass of a live Pod, when the input came from the API. */
  reportedClass?: string;
  pod: PodInput;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where each workload kind keeps its pod template. */
export const TEMPLATE_PATHS: Record<string, string[]> = {
  Pod: [],
  PodTemplate: ['template'],
  ReplicationController: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** The pod template of a workload object (the object itself for a Pod); undefined for other kinds. */
export function podTemplateOf(object: Json): unknown {
  const path = TEMPLATE_PATHS[object.kind as string];
  if (path === undefined) return undefined;
  let template: unknown = object;
  for (const key of path) template = isObject(template) ? template[key] : undefined;
  return template;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

function listFiles(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new InputError(`${path}: no such file or directory`);
  }
  if (!stat.isDirectory()) return [path];
  const files: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(child));
    else if (MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) files.push(child);
  }
  return files;
}

/** Parses YAML/JSON text into objects; Lists become their items. */
export function parseManifests(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  const documents = parseAllDocuments(text, { intAsBigInt: true, uniqueKeys: false });
  const list = Array.isArray(documents) ? documents : [documents];
  list.forEach((document, index) => {
    const where = list.length > 1 ? `${source} (document ${index + 1})` : source;
    const error = document.errors[0];
    if (error !== undefined) {
      const line = error.linePos?.[0]?.line;
      const message = error.message.split('\n')[0] ?? error.message;
      throw new InputError(`${source}: not valid YAML${line === undefined ? '' : ` at line ${line}`}: ${message}`);
    }
    const content: unknown = document.toJS({ maxAliasCount: 1000 });
    if (content === null || content === undefined) return;
    collect(content, where, objects);
  });
  return objects;
}

function collect(content: unknown, where: string, into: KubeObject[]): void {
  if (!isObject(content)) throw new InputError(`${where}: not a Kubernetes object (expected a mapping with apiVersion and kind)`);
  const kind = content.kind;
  if (typeof kind !== 'string' || kind === '') throw new InputError(`${where}: not a Kubernetes object (no kind)`);
  if (kind.endsWith('List') && Array.isArray(content.items)) {
    content.items.forEach((item, i) => collect(item, `${where} item ${i + 1}`, into));
    return;
  }
  into.push({ source: where, object: content });
}

/** Reads files, directories (*.yaml, *.yml, *.json, recursively) and "-" (stdin text given). */
export function readManifests(paths: string[], readStdin: () => string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const path of paths) {
    if (path === '-') {
      objects.push(...parseManifests(readStdin(), 'stdin'));
      continue;
    }
    for (const file of listFiles(path)) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new InputError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      objects.push(...parseManifests(text, file));
    }
  }
  return objects;
}

function resourceList(value: unknown, path: string): ResourceList | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new InputError(`${path}: expected a map of resource names to quantities`);
  const list: ResourceList = new Map();
  for (const [name, raw] of Object.entries(value)) {
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'bigint') {
      throw new InputError(`${path}.${name}: expected a quantity such as 500m or 128Mi`);
    }
    let quantity;
    try {
      quantity = parseQuantity(raw);
    } catch (error) {
      if (error instanceof QuantityError) throw new InputError(`${path}.${name}: ${error.message}`);
      throw error;
    }
    if (quantity.nanos < 0n) throw new InputError(`${path}.${name}: "${quantity.text}" is negative; Kubernetes refuses negative requests and limits`);
    list.set(name, quantity);
  }
  return list;
}

function container(value: unknown, path: string): ContainerInput {
  if (!isObject(value)) throw new InputError(`${path}: expected a container object`);
  const name = typeof value.name === 'string' ? value.name : '';
  const at = `${path}[${name || '?'}]`;
  const resources = value.resources;
  if (resources !== undefined && resources !== null && !isObject(resources)) throw new InputError(`${at}.resources: expected an object`);
  const result: ContainerInput = { name };
  const requests = resourceList(resources?.requests, `${at}.resources.requests`);
  const limits = resourceList(resources?.limits, `${at}.resources.limits`);
  if (requests !== undefined) result.requests = requests;
  if (limits !== undefined) result.limits = limits;
  if (typeof value.restartPolicy === 'string') result.restartPolicy = value.restartPolicy;
  return result;
}

function containers(value: unknown, path: string): ContainerInput[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InputError(`${path}: expected a list of containers`);
  return value.map((item) => container(item, path));
}

function requestsWithinLimits(c: ContainerInput, at: string): void {
  for (const [name, request] of c.requests ?? []) {
    const limit = c.limits?.get(name);
    if (limit !== undefined && request.nanos > limit.nanos) {
      throw new InputError(`${at}: ${name} request ${request.text} exceeds the limit ${limit.text}; the API server refuses this`);
    }
  }
}

/** The pod templates of every workload in the objects; other kinds are skipped. */
export function podTemplates(objects: KubeObject[]): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const { source, object } of objects) {
    const kind = object.kind as string;
    const path = TEMPLATE_PATHS[kind];
    if (path === undefined) continue;
    const template = podTemplateOf(object);
    const metadata = isObject(object.metadata) ? object.metadata : {};
    const name = typeof metadata.name === 'string' ? metadata.name : typeof metadata.generateName === 'string' ? `${metadata.generateName}*` : '?';
    const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : undefined;
    const label = `${source}: ${kind} ${namespace ? `${namespace}/` : ''}${name}`;
    if (!isObject(template)) throw new InputError(`${label}: no pod template at .${path.join('.')}`);
    const spec = template.spec;
    if (!isObject(spec)) throw new InputError(`${label}: the pod template has no spec`);
    const templateMeta = isObject(template.metadata) ? template.metadata : {};
    const annotations: Record<string, string> = {};
    if (isObject(templateMeta.annotations)) {
      for (const [key, val] of Object.entries(templateMeta.annotations)) if (typeof val === 'string') annotations[key] = val;
    }
    const pod: PodInput = {
      containers: containers(spec.containers, `${label}: spec.containers`),
      initContainers: containers(spec.initContainers, `${label}: spec.initContainers`),
    };
    if (pod.containers.length === 0) throw new InputError(`${label}: the pod template has no containers`);
    for (const c of [...pod.containers, ...pod.initContainers]) requestsWithinLimits(c, `${label}: container ${c.name}`);
    if (spec.resources !== undefined && spec.resources !== null) {
      if (!isObject(spec.resources)) throw new InputError(`${label}: spec.resources: expected an object`);
      const requests = resourceList(spec.resources.requests, `${label}: spec.resources.requests`);
      const limits = resourceList(spec.resources.limits, `${label}: spec.resources.limits`);
      pod.resources = {};
      if (requests !== undefined) pod.resources.requests = requests;
      if (limits !== undefined) pod.resources.limits = limits;
    }
    if (typeof spec.priorityClassName === 'string') pod.priorityClassName = spec.priorityClassName;
    const overhead = resourceList(spec.overhead, `${label}: spec.overhead`);
    if (overhead !== undefined) pod.overhead = overhead;
    const result: PodTemplate = { source, kind, name, annotations, pod };
    if (namespace !== undefined) result.namespace = namespace;
    if (kind === 'Pod' && isObject(object.status) && typeof object.status.qosClass === 'string') result.reportedClass = object.status.qosClass;
    templates.push(result);
  }
  return templates;
}
