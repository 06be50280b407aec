// Benchmark-only preload, required just before @qoslab/telemetry/register: removes the instrumentations
// named in BENCH_DROP_INSTRUMENTATIONS (comma-separated instrumentation names) from the curated set, to
// measure what each one costs. The packages are still loaded by the register module, so start-up
// figures show the cost of enabling an instrumentation, not of loading its code.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload */
const { dirname, join } = require('node:path');

const dropped = new Set(
  (process.env.BENCH_DROP_INSTRUMENTATIONS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean),
);
if (dropped.size > 0) {
  const register = require.resolve('@qoslab/telemetry/register', { paths: [process.cwd()] });
  // sdk.js reads curatedInstrumentations from this module's exports at call time.
  const curated = require(join(dirname(register), 'instrumentations.js'));
  const original = curated.curatedInstrumentations;
  curated.curatedInstrumentations = () => {
    const all = original();
    const kept = all.filter((instrumentation) => !dropped.has(instrumentation.instrumentationName));
    // Instrumentations enable themselves (hook require) when constructed; undo that for the dropped ones.
    for (const instrumentation of all) if (!kept.includes(instrumentation)) instrumentation.disable();
    if (kept.length !== all.length - dropped.size) {
      throw new Error(`BENCH_DROP_INSTRUMENTATIONS names an instrumentation not in the curated set: ${[...dropped].join(', ')}`);
    }
    return kept;
  };
}
