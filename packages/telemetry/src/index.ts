export { shutdownTelemetry } from './lifecycle';
export { CURATED_INSTRUMENTATIONS, type CuratedInstrumentation } from './instrumentations';
