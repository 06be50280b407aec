import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@qoslab/http-kit/testing';
import { freePort, ManagedProcess, repoRoot, SERVICES } from '@qoslab/native-stack';

/** A stand-in OTLP/HTTP receiver that records what each service exports. */
let receiver: Server;
let otlpEndpoint: string;
const received: { path: string; body: Buffer }[] = [];

before(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  otlpEndpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
after(() => receiver.close());

interface Started {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  exited: Promise<number | null>;
}

function start(service: string, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--require', '@qoslab/telemetry/register', 'dist/main.js'], {
    cwd: join(repoRoot, 'services', service),
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => (out += chunk));
  child.stderr?.on('data', (chunk) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${service} did not start: ${out}${err}`)), 30_000);
    child.stdout?.on('data', () => {
      const line = out.split('\n').find((candidate) => candidate.includes('"msg":"listening"'));
      if (!line) return;
      clearTimeout(timer);
      resolve({ child, port: JSON.parse(line).port, stdout: () => out, exited });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${service} exited with ${code}: ${out}${err}`));
    });
  });
}

async function stop(started: Started): Promise<number | null> {
  started.child.kill('SIGTERM');
  return started.exited;
}

const telemetryOn = () => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
  OTEL_METRIC_EXPORT_INTERVAL: '500',
  OTEL_BSP_SCHEDULE_DELAY: '100',
});

for (const service of SERVICES) {
  describe(service, () => {
    test('starts, answers, exports traces and metrics with its service.name, and stops on SIGTERM', async () => {
      received.length = 0;
      const started = await start(service, { ...telemetryOn(), OTEL_SERVICE_NAME: `${service}-under-test` });
      const base = `http://127.0.0.1:${started.port}`;
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      assert.equal((await fetch(`${base}/no-such-route`)).status, 404);
      await waitFor(
        `OTLP traces and metrics from ${service}`,
        () =>
          (received.some((r) => r.path === '/v1/traces' && r.body.includes(`${service}-under-test`)) &&
            received.some((r) => r.path === '/v1/metrics' && r.body.includes(`${service}-under-test`))) ||
          undefined,
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      assert.equal(await stop(started), 0);
    });

    test('starts and answers with OTEL_SDK_DISABLED=true, exporting nothing', async () => {
      received.length = 0;
      const started = await start(service, { ...telemetryOn(), OTEL_SDK_DISABLED: 'true' });
      assert.equal((await fetch(`http://127.0.0.1:${started.port}/readyz`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${started.port}/no-such-route`)).status, 404);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(await stop(started), 0);
      assert.deepEqual(received.map((r) => r.path), []);
    });

    test('an invalid configuration exits non-zero and lists every invalid variable at once', async () => {
      const child = spawn(process.execPath, ['dist/main.js'], {
        cwd: join(repoRoot, 'services', service),
        env: { PATH: process.env.PATH ?? '', OTEL_SDK_DISABLED: 'true', PORT: 'eighty', LOG_LEVEL: 'chatty', SHUTDOWN_GRACE_MS: '-1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 1);
      for (const name of ['PORT', 'LOG_LEVEL', 'SHUTDOWN_GRACE_MS']) assert.match(stderr, new RegExp(`^\\s+${name}: `, 'm'));
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    });
  });
}

describe('orders and a database that is not there yet', () => {
  const unreachable = async () => `postgres://postgres:postgres@127.0.0.1:${await freePort()}/postgres`;

  test('retries with back-off, and gives up with one line and exit 1 once DATABASE_STARTUP_TIMEOUT_MS is over', async () => {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: join(repoRoot, 'services', 'orders'),
      env: { PATH: process.env.PATH ?? '', OTEL_SDK_DISABLED: 'true', PORT: '0', DATABASE_URL: await unreachable(), DATABASE_STARTUP_TIMEOUT_MS: '2500' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 1);
    const retries = stdout.split('\n').filter((line) => line.includes('database not reachable yet')).map((line) => JSON.parse(line).attempt as number);
    // Delays of 0.5, 1 and 2 s fit 2.5 s: three retries, numbered from 1.
    assert.ok(retries.length >= 2 && retries.length <= 4, `retries: ${retries.join(', ')}`);
    assert.deepEqual(retries, retries.map((_, index) => index + 1));
    assert.match(stderr, /^orders: could not start: .+\n$/);
  });

  test('waits for a database that starts late, then migrates and listens', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'orders-late-db-'));
    const orders = start('orders', { OTEL_SDK_DISABLED: 'true', DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` });
    orders.catch(() => undefined);
    await sleep(1500);
    const database = new ManagedProcess({
      name: 'postgres',
      command: process.execPath,
      args: [join(repoRoot, 'packages', 'embedded-postgres', 'dist', 'cli.js')],
      env: { PATH: process.env.PATH, PGDATA: dataDir, HOST: '127.0.0.1', PORT: String(port) },
      ready: { tcp: { host: '127.0.0.1', port } },
    });
    database.start();
    try {
      const started = await orders;
      assert.match(started.stdout(), /database not reachable yet/);
      assert.match(started.stdout(), /database schema is up to date/);
      assert.equal((await fetch(`http://127.0.0.1:${started.port}/readyz`)).status, 200);
      assert.equal(await stop(started), 0);
    } finally {
      await database.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
