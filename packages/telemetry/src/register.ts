// Preloaded before the application: node --require @qoslab/telemetry/register dist/main.js
// Configured only by the standard OTEL_* variables. With OTEL_SDK_DISABLED=true nothing is loaded,
// so a disabled service pays no start-up cost for the SDK. Node runs preloaded modules in every
// worker thread too: the SDK belongs to the process, so it starts on the main thread only.
import { isMainThread } from 'node:worker_threads';

if (isMainThread && process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true') {
  // sdk.ts and everything it requires, bundled into one file by bundle.mjs (esbuild): Node then reads
  // and compiles one file instead of some three hundred, which halves what the preload costs at
  // start-up (docs/performance.md). sdk.bundle.js.map maps it back to the sources.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./sdk.bundle.js') as typeof import('./sdk')).startTelemetry();
}
