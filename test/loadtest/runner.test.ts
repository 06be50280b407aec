import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { run } from '../pipeline/support';
import { SHAPES } from '../../loadtest/lib/shapes.js';
import {  } from './support';
import { repoRoot } from '@qoslab/native-stack';

function loadtest(...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'tools', 'loadtest.ts'), ...args], { timeoutMs: 30_000 });
}

function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  return lines[0] as string;
}

test('an unknown scenario is one clear line and exit 2', () => {
  const result = loadtest('checkout');
  assert.equal(result.status, 2);
  assert.equal(oneLine(result.stderr), 'loadtest: unknown scenario "checkout": use one of faults, qos-lab, shop-journey');
});

test('an unknown shape is one clear line and exit 2', () => {
  const result = loadtest('shop-journey', '--shape', 'huge');
  assert.equal(result.status, 2);
  assert.equal(oneLine(result.stderr), `loadtest: unknown shape "huge": use one of ${Object.keys(SHAPES).join(', ')}`);
});

test('an unknown option and a bad --env are one line and exit 2', () => {
  const option = loadtest('shop-journey', '--vus', '3');
  assert.equal(option.status, 2);
  assert.match(oneLine(option.stderr), /^loadtest: Unknown option '--vus'/);
  const env = loadtest('shop-journey', '--env', 'no-equals');
  assert.equal(env.status, 2);
  assert.equal(oneLine(env.stderr), 'loadtest: --env "no-equals" is not NAME=VALUE');
});

test('--list names every script and every shape', () => {
  const result = loadtest('--list');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^scenarios: faults, qos-lab, shop-journey$/m);
  for (const [name, shape] of Object.entries(SHAPES)) {
    assert.ok(result.stdout.includes(`${name.padEnd(8)} ${shape.description}`), `${name} missing`);
  }
});
