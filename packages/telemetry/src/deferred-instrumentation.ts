import Module from 'node:module';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';

/** Calls `start` once, when it is time; returns how to stop waiting. */
type Trigger = (start: () => void) => () => void;

/**
 * An upstream instrumentation constructed only when it is needed. Constructing any of
 * @opentelemetry/instrumentation's InstrumentationBase starts require-in-the-middle's hook on every
 * require of the process (see kit-instrumentation.ts), so a service that never loads pg must not
 * construct instrumentation-pg, and runtime-node waits until the application's modules are loaded.
 */
export class DeferredInstrumentation implements Instrumentation {
  private instance: Instrumentation | undefined;
  private enabled = true;
  // A config given before the instance exists replaces its own once it does, as setConfig would have.
  private pendingConfig: InstrumentationConfig | undefined;
  private tracerProvider: TracerProvider | undefined;
  private meterProvider: MeterProvider | undefined;
  private stopWaiting: (() => void) | undefined;

  constructor(
    readonly instrumentationName: string,
    private readonly create: () => Instrumentation,
    private readonly when: Trigger,
  ) {
    this.enable();
  }

  get instrumentationVersion(): string {
    return this.instance?.instrumentationVersion ?? '';
  }

  enable(): void {
    this.enabled = true;
    if (this.instance) this.instance.enable();
    else this.stopWaiting ??= this.when(() => this.start());
  }

  disable(): void {
    this.enabled = false;
    this.stopWaiting?.();
    this.stopWaiting = undefined;
    this.instance?.disable();
  }

  setTracerProvider(tracerProvider: TracerProvider): void {
    this.tracerProvider = tracerProvider;
    this.instance?.setTracerProvider(tracerProvider);
  }

  setMeterProvider(meterProvider: MeterProvider): void {
    this.meterProvider = meterProvider;
    this.instance?.setMeterProvider(meterProvider);
  }

  getConfig(): InstrumentationConfig {
    return this.instance?.getConfig() ?? { ...this.pendingConfig, enabled: this.enabled };
  }

  setConfig(config: InstrumentationConfig): void {
    if (this.instance) this.instance.setConfig(config);
    else this.pendingConfig = config;
  }

  private start(): void {
    this.stopWaiting = undefined;
    const instance = this.create();
    if (this.pendingConfig) instance.setConfig(this.pendingConfig);
    if (this.tracerProvider) instance.setTracerProvider(this.tracerProvider);
    if (this.meterProvider) instance.setMeterProvider(this.meterProvider);
    this.instance = instance;
  }
}

type Require = (this: Module, id: string) => unknown;

/** Just before the application first requires `name` (CommonJS). */
export function onFirstRequire(name: string): Trigger {
  return (start) => {
    const prototype = Module.prototype as unknown as { require: Require };
    const original = prototype.require;
    let waiting = true;
    prototype.require = function require(this: Module, id: string) {
      if (!waiting || id !== name) return original.call(this, id);
      waiting = false;
      start();
      // start() has put require-in-the-middle's hook in front of this function: load through it.
      return prototype.require.call(this, id);
    };
    // Another hook may have wrapped this one since: it stays, as a pass-through.
    return () => {
      waiting = false;
    };
  };
}

/** Once the main module has run: the preload runs before it, in the same turn of the event loop. */
export const afterMainModule: Trigger = (start) => {
  const immediate = setImmediate(start);
  return () => clearImmediate(immediate);
};
