// Preloaded before the application: node --require @qoslab/telemetry/register dist/main.js
// Configured only by the standard OTEL_* variables. With OTEL_SDK_DISABLED=true nothing is loaded,
// so a disabled service pays no start-up cost for the SDK.
if (process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./sdk') as typeof import('./sdk')).startTelemetry();
}
