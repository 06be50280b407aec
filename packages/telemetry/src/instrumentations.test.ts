import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CURATED_INSTRUMENTATIONS, curatedInstrumentations, selectedInstrumentations } from './instrumentations';

test('every curated instrumentation is enabled unless a variable says otherwise', () => {
  assert.deepEqual(selectedInstrumentations({}), CURATED_INSTRUMENTATIONS);
  assert.deepEqual(
    curatedInstrumentations({}).map((instrumentation) => instrumentation.instrumentationName.replace(/^@(opentelemetry|qoslab)\/instrumentation-/, '')),
    CURATED_INSTRUMENTATIONS,
  );
});

test('OTEL_NODE_DISABLED_INSTRUMENTATIONS leaves instrumentations out, with or without the package prefix', () => {
  assert.deepEqual(
    selectedInstrumentations({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'runtime-node, @opentelemetry/instrumentation-pg, @qoslab/instrumentation-http-server' }),
    ['http-client'],
  );
});

test('OTEL_NODE_ENABLED_INSTRUMENTATIONS keeps only those, then the disabled list applies', () => {
  assert.deepEqual(selectedInstrumentations({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg,http-server,http-client', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http-client' }), ['http-server', 'pg']);
});

test('undici, the name auto-instrumentations-node gives fetch tracing, means the kit’s http-client', () => {
  assert.deepEqual(selectedInstrumentations({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'undici' }), ['http-server', 'pg', 'runtime-node']);
  assert.deepEqual(selectedInstrumentations({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: '@opentelemetry/instrumentation-undici' }), ['http-client']);
});

test('names outside the curated set are ignored, not fatal', () => {
  assert.deepEqual(selectedInstrumentations({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'fs,dns,http,express' }), CURATED_INSTRUMENTATIONS);
  assert.deepEqual(selectedInstrumentations({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'fs' }), []);
});
