import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
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
  assert.match(reply, /^HTTP\/1\.1 431 /);
  assert.match(reply, /application\/problem\+json/);
  assert.equal(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).status, 431);
});
