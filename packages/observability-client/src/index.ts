// Clients of the query APIs of the kit's backends, for the tests, the benchmark and the lab CLI.
export { promQuery, promRange, promValue, type PromMatrixSeries, type PromSeries } from './prometheus';
export { findTraces, getTrace, type JaegerKeyValue, type JaegerSpan, type JaegerTrace, type TraceSearch } from './jaeger';
