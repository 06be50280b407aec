export * from './node-config.js';
export { repoRoot } from './repo.js';
export { Kube, LabError, type Obj, type PortForward, sleep, until } from './kube.js';
export { type Attempt, runAttack } from './attack.js';
export { nodeAddresses, NODE_EGRESS_POLICY, probePod, reachScript } from './deploy.js';
export { predictedSplit } from './experiment.js';
