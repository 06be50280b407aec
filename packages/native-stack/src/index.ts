// The native stack: the shop and its telemetry backends as local processes, and what the tests and the
// benchmark use to drive them and read what they produced.
export { freePort, busyPorts, ManagedProcess, type ProcessSpec, type Readiness } from './process';
export { freePorts, PORTS, type Ports, SERVICES, type ServiceName, type Stack, type StackOptions, stackSpecs, startStack, URLS } from './stack';
export { repoRoot, toolPath, type ToolName } from './toolchain';
export { median, readCpuSeconds, readRss } from './proc';
export { COLLECTOR_FAULTS, type CollectorFault, collectorFault, type Fault } from './faults';
export { CollectorMetrics, parseExposition, type Sample } from './collector-metrics';
