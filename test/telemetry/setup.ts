// Imported first by the telemetry tests: in-memory telemetry must be installed before http, express,
// pg and pino are loaded, exactly as the register module is preloaded before a service.
import { startTestTelemetry } from '@qoslab/telemetry/testing';

export const telemetry = startTestTelemetry();
