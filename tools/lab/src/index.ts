export * from './node-config.js';
export { repoRoot } from './repo.js';
