export * from './cluster';
export * from './settings';
export { ClusterError } from './exec';
