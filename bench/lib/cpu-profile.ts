// Reads a V8 CPU profile (node --cpu-prof) into what the performance page shows: the functions with the
// most self time, and the packages with the most time spent under their code (inclusive).
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber?: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

export interface ProfileSummary {
  samples: number;
  /** Share of all samples, idle included. */
  idle: number;
  gc: number;
  /** The functions with the most self time, share of the non-idle samples. */
  topSelf: { frame: string; share: number }[];
  /** Share of the non-idle samples with a frame of the package on the stack. */
  packages: { name: string; share: number }[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/**
 * "@opentelemetry/instrumentation-http" for a file under node_modules, "@qoslab/telemetry" for the kit's
 * packages/telemetry (workspaces resolve to their real path), "node:<module>" for Node's own, "app" otherwise.
 */
export function packageOf(url: string): string | undefined {
  if (!url) return undefined;
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inModules) return inModules[1];
  const inWorkspace = /\/packages\/([^/]+)\/(?:dist|src)\//.exec(url);
  if (inWorkspace) return `@qoslab/${inWorkspace[1]}`;
  if (url.startsWith('node:')) return url.split('/')[0];
  return 'app';
}

const frameName = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  if (SPECIAL.has(functionName)) return functionName;
  const pkg = packageOf(url);
  const file = pkg === 'app' || pkg?.startsWith('node:') ? basename(url) : `${pkg}/${basename(url)}`;
  const where = url ? ` ${file}:${lineNumber + 1}` : ' (native)';
  return `${functionName || '(anonymous)'}${where}`;
};

const sourceMaps = new Map<string, SourceMap | undefined>();

/**
 * The frame as in its source, when its file is a bundle with a source map beside it (the kit's preload,
 * packages/telemetry/dist/sdk.bundle.js): so time in the bundle is still counted under each package.
 */
export function originalFrame(frame: CallFrame): CallFrame {
  if (!frame.url.endsWith('.bundle.js')) return frame;
  const file = frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url;
  if (!sourceMaps.has(file)) {
    const mapFile = `${file}.map`;
    sourceMaps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : undefined);
  }
  const entry = sourceMaps.get(file)?.findEntry(frame.lineNumber, frame.columnNumber ?? 0);
  if (!entry || !('originalSource' in entry) || typeof entry.originalSource !== 'string') return frame;
  return { ...frame, url: resolve(dirname(file), entry.originalSource), lineNumber: entry.originalLine };
}

export function summariseProfile(profile: CpuProfile, top = 8): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, { ...node, callFrame: originalFrame(node.callFrame) }]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const inPackage = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  for (const id of profile.samples) {
    const node = byId.get(id);
    if (!node) continue;
    const name = node.callFrame.functionName;
    if (name === '(idle)') {
      idle++;
      continue;
    }
    if (name === '(garbage collector)') gc++;
    self.set(frameName(node), (self.get(frameName(node)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const pkg = packageOf(byId.get(at)?.callFrame.url ?? '');
      if (pkg && pkg !== 'app') seen.add(pkg);
    }
    for (const pkg of seen) inPackage.set(pkg, (inPackage.get(pkg) ?? 0) + 1);
  }
  const busy = Math.max(1, profile.samples.length - idle);
  const ranked = (counts: Map<string, number>) => [...counts].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    samples: profile.samples.length,
    idle: idle / Math.max(1, profile.samples.length),
    gc: gc / busy,
    topSelf: ranked(self).map(([frame, count]) => ({ frame, share: count / busy })),
    packages: ranked(inPackage).map(([name, count]) => ({ name, share: count / busy })),
  };
}

export function readProfile(file: string): CpuProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Partial<CpuProfile>;
  if (!Array.isArray(profile.nodes) || !Array.isArray(profile.samples)) throw new Error(`${file} is not a V8 CPU profile`);
  return profile as CpuProfile;
}
