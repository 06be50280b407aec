import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '@qoslab/native-stack';

/** The build (packages/telemetry/bundle.mjs) heads each module it bundles with a comment naming its file. */
function bundledBuilds(bundle: string): Map<string, Set<string>> {
  const builds = new Map<string, Set<string>>();
  for (const [, name = '', extension = ''] of bundle.matchAll(/^\/\/ \S*node_modules\/((?:@[^/]+\/)?[^/]+)\/\S*\.([cm]js)$/gm)) {
    builds.set(name, (builds.get(name) ?? new Set()).add(extension));
  }
  return builds;
}

test('the preload bundle holds one build of each package, and of semantic-conventions only what it uses', () => {
  const bundle = readFileSync(join(repoRoot, 'packages', 'telemetry', 'dist', 'sdk.bundle.js'), 'utf8');
  const builds = bundledBuilds(bundle);
  assert.ok(builds.has('@opentelemetry/sdk-metrics') && builds.has('@opentelemetry/sdk-trace'), 'the SDK is in the bundle');
  const twice = [...builds].filter(([, extensions]) => extensions.size > 1).map(([name]) => name);
  assert.deepEqual(twice, [], 'packages with both their CommonJS and their ES module build in the bundle');
  assert.doesNotMatch(bundle, /^\/\/ \S*semantic-conventions\/\S*\/(trace|resource)\/Semantic\w+Attributes\./m, 'the deprecated constants are left out');
});

test('bundledBuilds sees a package bundled twice', () => {
  const twice = '// ../../node_modules/@opentelemetry/core/dist/index.cjs\nx();\n// ../../node_modules/@opentelemetry/core/dist/index.mjs\ny();\n';
  assert.deepEqual(bundledBuilds(twice), new Map([['@opentelemetry/core', new Set(['cjs', 'mjs'])]]));
});
