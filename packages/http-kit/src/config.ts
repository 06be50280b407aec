import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((issue) => `  ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const port = z.coerce.number().int().min(0).max(65535);
const milliseconds = z.coerce.number().int().min(0).max(600_000);

/** Settings every service has; `defaults` sets the service's own port and timeouts. */
export function commonConfig(defaults: { port: number; upstreamTimeoutMs?: number }) {
  return z.object({
    PORT: port.default(defaults.port),
    HOST: z.string().min(1).default('0.0.0.0'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    FAULT_INJECTION_ENABLED: z.stringbool().default(false),
    SHUTDOWN_DELAY_MS: milliseconds.default(0),
    SHUTDOWN_GRACE_MS: milliseconds.default(10_000),
    UPSTREAM_TIMEOUT_MS: milliseconds.min(1).default(defaults.upstreamTimeoutMs ?? 2000),
  });
}

export type CommonConfig = z.infer<ReturnType<typeof commonConfig>>;

/** Parses the environment; every invalid variable is reported at once. */
export function loadConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined> = process.env,
): z.infer<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  // Values are not echoed: some variables (DATABASE_URL) carry credentials.
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigError(issues);
}

/** Same as loadConfig, but prints the problems and exits with status 1: for main.ts. */
export function loadConfigOrExit<Schema extends z.ZodType>(schema: Schema): z.infer<Schema> {
  try {
    return loadConfig(schema);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/** Reusable field schemas for service configs. */
export const env = { port, milliseconds, url: z.url({ protocol: /^https?$/ }) };
