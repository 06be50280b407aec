export { shutdownTelemetry } from './lifecycle';
