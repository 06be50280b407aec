import { NodeSDK } from '@opentelemetry/sdk-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { findContainerCgroup } from './cgroup';
import { registerContainerMetrics } from './container-metrics';
import { curatedInstrumentations } from './instrumentations';
import { setTelemetryShutdown } from './lifecycle';
import { detectorsFromEnv, serviceVersion } from './resource';

/** Kit defaults for standard variables the user left unset. */
const ENV_DEFAULTS: Record<string, string> = {
  // The pipeline carries traces and metrics; logs stay on stdout as JSON.
  OTEL_LOGS_EXPORTER: 'none',
};

export function startTelemetry(entryPoint = process.argv[1]): void {
  for (const [key, value] of Object.entries(ENV_DEFAULTS)) process.env[key] ??= value;

  const version = serviceVersion(entryPoint);
  const packageName = process.env.npm_package_name?.replace(/^@[^/]+\//, '');
  const sdk = new NodeSDK({
    // Lowest precedence: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override both.
    resource: resourceFromAttributes({
      ...(packageName ? { [ATTR_SERVICE_NAME]: packageName } : {}),
      ...(version ? { [ATTR_SERVICE_VERSION]: version } : {}),
    }),
    resourceDetectors: detectorsFromEnv(process.env.OTEL_NODE_RESOURCE_DETECTORS),
    instrumentations: curatedInstrumentations(),
  });
  sdk.start();

  const cgroup = findContainerCgroup();
  if (cgroup) registerContainerMetrics(cgroup);

  setTelemetryShutdown(() => sdk.shutdown());
}
