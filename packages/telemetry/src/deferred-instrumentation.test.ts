import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';
import { afterMainModule, DeferredInstrumentation, onFirstRequire } from './deferred-instrumentation';

// Module.prototype.require, as an application's require() calls it.
const load = createRequire(__filename);

function fake(events: string[]): Instrumentation {
  events.push('created');
  return {
    instrumentationName: 'fake',
    instrumentationVersion: '1.2.3',
    enable: () => events.push('enable'),
    disable: () => events.push('disable'),
    setTracerProvider: () => events.push('tracer provider'),
    setMeterProvider: () => events.push('meter provider'),
    getConfig: () => ({ enabled: true }),
    setConfig: (config) => events.push(`config ${JSON.stringify(config)}`),
  };
}

test('onFirstRequire constructs the instrumentation just before the module first loads, and once', () => {
  const events: string[] = [];
  const deferred = new DeferredInstrumentation('fake', () => fake(events), onFirstRequire('node:string_decoder'));
  deferred.setMeterProvider({ getMeter: () => assert.fail('not called by the test') });
  load('node:path');
  assert.deepEqual(events, []);
  assert.equal(deferred.instrumentationVersion, '');
  const { StringDecoder } = load('node:string_decoder') as typeof import('node:string_decoder');
  assert.equal(typeof StringDecoder, 'function');
  load('node:string_decoder');
  assert.deepEqual(events, ['created', 'meter provider']);
  assert.equal(deferred.instrumentationVersion, '1.2.3');
  deferred.disable();
  assert.deepEqual(events, ['created', 'meter provider', 'disable']);
});

test('afterMainModule waits for the next turn of the event loop; disabled before then, nothing is constructed', async () => {
  const events: string[] = [];
  new DeferredInstrumentation('fake', () => fake(events), afterMainModule);
  const disabled = new DeferredInstrumentation('disabled', () => fake(['never']), afterMainModule);
  disabled.disable();
  assert.deepEqual(events, []);
  await nextTurn();
  assert.deepEqual(events, ['created']);
  assert.equal(disabled.getConfig().enabled, false);
});

test('a config set before the instrumentation exists is given to it when it is constructed', async () => {
  const events: string[] = [];
  const deferred = new DeferredInstrumentation('fake', () => fake(events), afterMainModule);
  const config: InstrumentationConfig & { requireParentSpan: boolean } = { requireParentSpan: true };
  deferred.setConfig(config);
  assert.deepEqual(deferred.getConfig(), { requireParentSpan: true, enabled: true });
  await nextTurn();
  assert.deepEqual(events, ['created', 'config {"requireParentSpan":true}']);
});
