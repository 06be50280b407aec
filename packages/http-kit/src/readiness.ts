export type Check = () => Promise<void>;

/**
 * Readiness of a service: not ready until started, not ready once draining, and not ready while a
 * required dependency check fails. Liveness (/healthz) does not depend on it.
 */
export class Readiness {
  private state: 'starting' | 'ready' | 'draining' = 'starting';

  constructor(
    private readonly checks: Record<string, Check> = {},
    private readonly checkTimeoutMs = 1000,
  ) {}

  markReady(): void {
    if (this.state === 'starting') this.state = 'ready';
  }

  markDraining(): void {
    this.state = 'draining';
  }

  get draining(): boolean {
    return this.state === 'draining';
  }

  /** Resolves to the reasons the service is not ready; empty when ready. */
  async problems(): Promise<string[]> {
    if (this.state !== 'ready') return [this.state];
    const failures = await Promise.all(
      Object.entries(this.checks).map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${this.checkTimeoutMs} ms`)), this.checkTimeoutMs);
            }),
          ]);
          return undefined;
        } catch (error) {
          return `${name}: ${error instanceof Error ? error.message : String(error)}`;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return failures.filter((failure): failure is string => failure !== undefined);
  }
}
