export * from './quantity.js';
export * from './qos.js';
export * from './manifests.js';
export * from './explain.js';
export * from './report.js';
