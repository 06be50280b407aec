// The benchmark's arithmetic and parsing, on known inputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { originalFrame, packageOf, summariseProfile } from './cpu-profile';
import { imageMemorySettings } from './shop';
import { isSpread, pairedRatios, spread } from './stats';
import { barChart } from './svg';

test('spread: median, quartiles and range of the repetitions, non-finite values left out', () => {
  const result = spread([5, 1, 4, 2, 3, Number.NaN]);
  assert.deepEqual({ ...result, values: undefined }, { n: 5, median: 3, q1: 2, q3: 4, min: 1, max: 5, values: undefined });
  assert.deepEqual(spread([2, 4]).median, 3);
  assert.ok(isSpread(result));
  assert.throws(() => spread([Number.NaN]), /no finite values/);
});

test('pairedRatios divides repetition by repetition and refuses unequal series', () => {
  assert.deepEqual(pairedRatios([90, 50], [100, 100]), [0.9, 0.5]);
  assert.throws(() => pairedRatios([1], [1, 2]), /differ in length/);
});

test('the bar chart is an SVG with one bar and one whisker per value, and escapes labels', () => {
  const svg = barChart({
    title: 'Start-up <ms>',
    unit: 'ms',
    groups: [
      { label: 'a & b', bars: [{ label: 'on', median: 10, min: 8, max: 12, color: '#000' }] },
      { label: 'c', bars: [{ label: 'off', median: 5, min: 5, max: 6, color: '#999' }] },
    ],
    lines: [{ value: 9, label: 'goal', color: '#f00' }],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(svg.match(/<rect x="[\d.]+" y="\d+" width="[\d.]+" height="14"/g)?.length, 2);
  assert.ok(svg.includes('a &amp; b') && svg.includes('Start-up &lt;ms&gt;'));
  assert.ok(!svg.includes('NaN'));
});

test('a CPU profile: self time per function, time under each package counted once per sample, idle apart', () => {
  const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url, lineNumber: 9 }, children });
  const http = 'file:///shop/node_modules/@opentelemetry/instrumentation-http/build/src/http.js';
  const profile = {
    nodes: [
      frame(1, '(root)', '', [2, 5, 6]),
      frame(2, 'outgoingRequest', http, [3]),
      frame(3, 'patched', http, [4]),
      frame(4, 'writeHead', 'node:_http_server'),
      frame(5, '(garbage collector)', ''),
      frame(6, '(idle)', ''),
    ],
    samples: [4, 4, 3, 5, 6, 6, 6, 6],
  };
  const summary = summariseProfile(profile);
  assert.equal(summary.samples, 8);
  assert.equal(summary.idle, 0.5);
  assert.equal(summary.gc, 0.25);
  assert.deepEqual(summary.topSelf.map((entry) => [entry.frame, entry.share]), [
    ['writeHead node:_http_server:10', 0.5],
    ['patched @opentelemetry/instrumentation-http/http.js:10', 0.25],
    ['(garbage collector)', 0.25],
  ]);
  // Three busy samples have instrumentation-http on their stack (twice in one of them: counted once).
  assert.deepEqual(summary.packages.find((entry) => entry.name === '@opentelemetry/instrumentation-http')?.share, 0.75);
  assert.equal(packageOf('/srv/node_modules/express/lib/router.js'), 'express');
  assert.equal(packageOf('/srv/services/gateway/dist/app.js'), 'app');
  assert.equal(packageOf('file:///srv/packages/telemetry/dist/http-server.js'), '@qoslab/telemetry');
});

test('frames of a bundle with a source map beside it count under the packages they came from', () => {
  const dist = join(mkdtempSync(join(tmpdir(), 'bundle-')), 'packages', 'telemetry', 'dist');
  mkdirSync(dist, { recursive: true });
  const bundle = join(dist, 'sdk.bundle.js');
  writeFileSync(bundle, 'x();\ny();\n');
  // Line 1 comes from the SDK's Tracer, line 2 from the kit's own sdk.ts.
  writeFileSync(`${bundle}.map`, JSON.stringify({ version: 3, sources: ['../../../node_modules/@opentelemetry/sdk-trace/dist/Tracer.cjs', '../src/sdk.ts'], names: [], mappings: 'AAAA;ACAA' }));
  const frame = (lineNumber: number) => ({ functionName: 'f', url: pathToFileURL(bundle).href, lineNumber, columnNumber: 0 });
  assert.equal(packageOf(originalFrame(frame(0)).url), '@opentelemetry/sdk-trace');
  assert.equal(packageOf(originalFrame(frame(1)).url), '@qoslab/telemetry');
  const plain = { functionName: 'g', url: 'file:///srv/node_modules/express/lib/router.js', lineNumber: 3 };
  assert.equal(originalFrame(plain), plain, 'other files are left as they are');
});

test('the contained configurations take the images’ memory settings from services/Dockerfile', () => {
  const dockerfile = 'ENV NODE_ENV=production \\\n    MALLOC_ARENA_MAX=2 \\\n    NODE_OPTIONS="--require x/register --max-old-space-size-percentage=70 --max-semi-space-size=4"\n';
  assert.deepEqual(imageMemorySettings(dockerfile), { flags: ['--max-old-space-size-percentage=70', '--max-semi-space-size=4'], env: { MALLOC_ARENA_MAX: '2' } });
  assert.deepEqual(imageMemorySettings('ENV NODE_OPTIONS="--require x"').flags, []);
  assert.throws(() => imageMemorySettings('FROM node'), /no NODE_OPTIONS/);
  assert.ok(imageMemorySettings().flags.some((flag) => flag.startsWith('--max-old-space-size')), 'the real Dockerfile sizes the heap');
});
