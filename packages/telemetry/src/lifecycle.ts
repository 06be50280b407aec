// The register module owns the SDK; application code must not import it. The shutdown sequence reaches
// it through this process-wide slot, so telemetry is flushed after the app has drained, not before.
const SLOT = Symbol.for('qoslab.telemetry.shutdown');

type Slot = { [SLOT]?: () => Promise<void> };

export function setTelemetryShutdown(shutdown: () => Promise<void>): void {
  (globalThis as Slot)[SLOT] = shutdown;
}

/** Flushes and stops telemetry. Safe to call when telemetry is disabled or already stopped. */
export async function shutdownTelemetry(): Promise<void> {
  const slot = globalThis as Slot;
  const shutdown = slot[SLOT];
  delete slot[SLOT];
  await shutdown?.();
}
