import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import express from 'express';
import { createHttpServer } from './serve';

test('oversized headers get a 431 problem, not a bare reset', async () => {
  const server = createHttpServer(express());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    });
    let data = '';
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  server.close();
  assert.match(reply, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.match(reply, /application\/problem\+json/);
  assert.deepEqual(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)), { type: 'about:blank', title: 'Request Header Fields Too Large', status: 431 });
});

test('an unhandled rejection is logged, runs the shutdown sequence with the flush last, and exits 1', async () => {
  // The module's own directory resolves express and the logger as the service's main does.
  const script = [
    `const express = require('express');`,
    `const { createLogger } = require('@qoslab/logger');`,
    `const { Readiness } = require(${JSON.stringify(join(__dirname, 'readiness.ts'))});`,
    `const { serve } = require(${JSON.stringify(join(__dirname, 'serve.ts'))});`,
    `const logger = createLogger({ service: 'fixture' });`,
    `const config = { PORT: 0, HOST: '127.0.0.1', SHUTDOWN_DELAY_MS: 0, SHUTDOWN_GRACE_MS: 1000 };`,
    `void serve({ app: express(), config, logger, readiness: new Readiness(), onClose: [async () => console.log('CLOSED')],`,
    `  flushTelemetry: async () => console.log('FLUSHED') }).then(() => { void Promise.reject(new Error('forgotten')); });`,
  ].join('\n');
  {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--eval', script], { cwd: __dirname, encoding: 'utf8', timeout: 30_000 });
    assert.equal(child.status, 1, child.stderr);
    const lines = child.stdout.trim().split('\n');
    assert.ok(lines.some((line) => line.includes('unhandled promise rejection') && line.includes('forgotten')), child.stdout);
    const closed = lines.indexOf('CLOSED');
    assert.ok(closed >= 0 && lines.indexOf('FLUSHED') > closed, `clients closed, then telemetry flushed:\n${child.stdout}`);
  }
});
