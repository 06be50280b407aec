import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { diag } from '@opentelemetry/api';
import { containerDetector } from '@opentelemetry/resource-detector-container';
import {
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  type ResourceDetector,
  serviceInstanceIdDetector,
} from '@opentelemetry/resources';

// Later detectors win, so "env" (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) goes last whatever the
// order in the variable: what the operator sets explicitly beats what is detected.
const DETECTORS: Record<string, ResourceDetector[]> = {
  host: [hostDetector],
  os: [osDetector],
  process: [processDetector],
  serviceinstance: [serviceInstanceIdDetector],
  container: [containerDetector],
  env: [envDetector],
};
const ORDER = Object.keys(DETECTORS);

/**
 * Resource detectors named by OTEL_NODE_RESOURCE_DETECTORS, with the names the Node.js SDK and
 * auto-instrumentations-node use ("container" included); unset means all of them.
 */
export function detectorsFromEnv(value: string | undefined): ResourceDetector[] {
  const names = (value ?? 'all')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (names.includes('none')) return [];
  if (names.includes('all')) return Object.values(DETECTORS).flat();
  for (const name of names) if (!DETECTORS[name]) diag.warn(`OTEL_NODE_RESOURCE_DETECTORS: unknown detector "${name}" skipped`);
  return ORDER.filter((name) => names.includes(name)).flatMap((name) => DETECTORS[name] ?? []);
}

/** service.version defaults to the version in the package.json next to the entry point's dist/ folder. */
export function serviceVersion(entryPoint: string | undefined): string | undefined {
  let dir = entryPoint ? dirname(entryPoint) : process.cwd();
  for (let depth = 0; depth < 4; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
      return typeof pkg.version === 'string' ? pkg.version : undefined;
    } catch {
      dir = dirname(dir);
    }
  }
  return undefined;
}
