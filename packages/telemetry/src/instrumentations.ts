import { diag } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { afterMainModule, DeferredInstrumentation, onFirstRequire } from './deferred-instrumentation';
import { HttpClientInstrumentation } from './http-client';
import type { HttpDurations } from './http-durations';
import { HttpServerInstrumentation } from './http-server';

const PROBE_PATHS = new Set(['/healthz', '/readyz']);

/* eslint-disable @typescript-eslint/no-require-imports -- each package is loaded only when enabled: start-up time */
const CURATED = {
  // The kit's own: server spans with the stable HTTP attributes and http.route, and the duration
  // histogram, in place of instrumentation-http and instrumentation-express (see http-server.ts);
  // client spans of fetch in place of instrumentation-undici (see http-client.ts).
  'http-server': (durations?: HttpDurations) => new HttpServerInstrumentation({ ignore: (path) => PROBE_PATHS.has(path), durations: durations?.server }),
  'http-client': (durations?: HttpDurations) => new HttpClientInstrumentation({ durations: durations?.client }),
  pg: () =>
    new DeferredInstrumentation(
      '@opentelemetry/instrumentation-pg',
      () => {
        const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
        return new PgInstrumentation({ ignoreConnectSpans: true });
      },
      onFirstRequire('pg'),
    ),
  'runtime-node': () =>
    new DeferredInstrumentation(
      '@opentelemetry/instrumentation-runtime-node',
      () => {
        const { RuntimeNodeInstrumentation } = require('@opentelemetry/instrumentation-runtime-node') as typeof import('@opentelemetry/instrumentation-runtime-node');
        return new RuntimeNodeInstrumentation();
      },
      afterMainModule,
    ),
} satisfies Record<string, (durations?: HttpDurations) => Instrumentation>;
/* eslint-enable @typescript-eslint/no-require-imports */

export type CuratedInstrumentation = keyof typeof CURATED;
export const CURATED_INSTRUMENTATIONS = Object.keys(CURATED) as CuratedInstrumentation[];

type Env = Record<string, string | undefined>;

/** auto-instrumentations-node's name for what the kit's http-client replaces one for one. */
const ALIASES: Record<string, CuratedInstrumentation> = { undici: 'http-client' };

function names(env: Env, variable: string): CuratedInstrumentation[] | undefined {
  const value = env[variable]?.trim();
  if (!value) return undefined;
  const listed = value
    .split(',')
    .map((name) => name.trim().replace(/^@(opentelemetry|qoslab)\/instrumentation-/, ''))
    .filter(Boolean)
    .map((name) => ALIASES[name] ?? name);
  const unknown = listed.filter((name) => !(name in CURATED));
  if (unknown.length > 0) diag.warn(`${variable}: ${unknown.join(', ')} not in the kit's set (${CURATED_INSTRUMENTATIONS.join(', ')}); ignored`);
  return listed.filter((name): name is CuratedInstrumentation => name in CURATED);
}

/**
 * Which of the curated instrumentations to enable, by the variables that
 * @opentelemetry/auto-instrumentations-node reads: OTEL_NODE_ENABLED_INSTRUMENTATIONS (only these),
 * then OTEL_NODE_DISABLED_INSTRUMENTATIONS (all but these), names without the
 * `@opentelemetry/instrumentation-` (or the kit's `@qoslab/instrumentation-`) prefix.
 */
export function selectedInstrumentations(env: Env = process.env): CuratedInstrumentation[] {
  const enabled = new Set(names(env, 'OTEL_NODE_ENABLED_INSTRUMENTATIONS') ?? CURATED_INSTRUMENTATIONS);
  for (const name of names(env, 'OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? []) enabled.delete(name);
  return CURATED_INSTRUMENTATIONS.filter((name) => enabled.has(name));
}

/**
 * The curated set: what the shop's traces and metrics need, nothing else (each instrumentation loaded
 * costs start-up time; see docs/performance.md). The HTTP instrumentations record their duration
 * histograms into `durations`, when given.
 */
export function curatedInstrumentations(env: Env = process.env, durations?: HttpDurations): Instrumentation[] {
  return selectedInstrumentations(env).map((name) => CURATED[name](durations));
}
