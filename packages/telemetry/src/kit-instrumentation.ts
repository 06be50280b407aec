import { type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';

/**
 * The base of the kit's own instrumentations, which patch Node's core modules and subscribe to
 * diagnostics channels when enabled. @opentelemetry/instrumentation's InstrumentationBase would start
 * require-in-the-middle's hook on every require of the process as soon as one instance exists, and that
 * hook resolves each module a second time, which slows every service's start-up (docs/performance.md).
 */
export abstract class KitInstrumentation<Config extends InstrumentationConfig> implements Instrumentation<Config> {
  protected tracer: Tracer;
  private config!: Config;
  private enabled = false;

  constructor(
    readonly instrumentationName: string,
    readonly instrumentationVersion: string,
    config: Config,
  ) {
    this.setConfig(config);
    this.tracer = trace.getTracer(instrumentationName, instrumentationVersion);
    if (this.config.enabled) this.enable();
  }

  protected abstract patch(): void;
  protected abstract unpatch(): void;

  enable(): void {
    if (this.enabled) return;
    this.enabled = true;
    this.patch();
  }

  disable(): void {
    if (!this.enabled) return;
    this.enabled = false;
    this.unpatch();
  }

  setTracerProvider(tracerProvider: TracerProvider): void {
    this.tracer = tracerProvider.getTracer(this.instrumentationName, this.instrumentationVersion);
  }

  /** The kit's instrumentations record their histograms into HttpDurations, not through a meter. */
  setMeterProvider(): void {}

  getConfig(): Config {
    return this.config;
  }

  setConfig(config: Config): void {
    this.config = { enabled: true, ...config };
  }
}
