import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger } from './index';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, destination };
}

test('writes JSON lines with service, textual level and ISO time', () => {
  const { lines, destination } = capture();
  createLogger({ service: 'catalog', destination }).info({ productId: 'p1' }, 'cache miss');
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.service, 'catalog');
  assert.equal(lines[0]?.level, 'info');
  assert.equal(lines[0]?.msg, 'cache miss');
  assert.equal(lines[0]?.productId, 'p1');
  assert.ok(!Number.isNaN(Date.parse(String(lines[0]?.time))));
});

test('redacts card data and credentials', () => {
  const { lines, destination } = capture();
  createLogger({ service: 'orders', destination }).info(
    { payment: { cardNumber: '4242424242424242', cvc: '123' }, req: { headers: { authorization: 'Bearer x' } } },
    'charging',
  );
  const text = JSON.stringify(lines[0]);
  assert.ok(!text.includes('4242424242424242'));
  assert.ok(!text.includes('Bearer x'));
  assert.ok(text.includes('[redacted]'));
});

test('honours the level', () => {
  const { lines, destination } = capture();
  const logger = createLogger({ service: 'x', level: 'warn', destination });
  logger.info('hidden');
  logger.warn('shown');
  assert.deepEqual(lines.map((line) => line.msg), ['shown']);
});

test('adds the active span\'s trace_id, span_id and trace_flags, and nothing without one', () => {
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  try {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'orders', destination });
    const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
    context.with(trace.setSpanContext(ROOT_CONTEXT, spanContext), () => logger.info('in a span'));
    context.with(trace.setSpanContext(ROOT_CONTEXT, { ...spanContext, traceId: '0'.repeat(32) }), () => logger.info('invalid span'));
    logger.info('outside');
    assert.deepEqual(
      lines.map((line) => [line.msg, line.trace_id, line.span_id, line.trace_flags]),
      [
        ['in a span', spanContext.traceId, spanContext.spanId, '01'],
        ['invalid span', undefined, undefined, undefined],
        ['outside', undefined, undefined, undefined],
      ],
    );
  } finally {
    context.disable();
  }
});
