-- Loaded by each of the benchmark's wrk scripts: at the end of a run, prints one line of JSON with the
-- figures bench/lib/wrk.ts reads (latencies in microseconds, from wrk's full-resolution histogram).
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_WRK {"requests":%d,"durationUs":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latencyUs":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
