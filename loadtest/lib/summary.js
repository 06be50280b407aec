// End-of-test summaries: `summary.json` (machine-readable) and `summary.txt` (the same text k6 prints
// on stdout) in SUMMARY_DIR. Written here rather than taken from the remote k6-summary jslib: the kit
// runs without internet, and defining handleSummary replaces k6's built-in text summary.
import { envString } from './config.js';

const SUMMARY_FORMAT = 'qoslab-k6-summary/1';

const AGGREGATION = /^\s*(avg|min|max|med|count|rate|value|p\(\d+(?:\.\d+)?\))\s*(<=|>=|==|===|!=|<|>)/;

/** One entry per threshold expression: which metric, the expression, whether it held, the value it judged. */
export function thresholdResults(data) {
  const results = [];
  for (const metricName of Object.keys(data.metrics).sort()) {
    const metric = data.metrics[metricName];
    for (const [expression, state] of Object.entries(metric.thresholds ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const match = AGGREGATION.exec(expression);
      const stat = match ? match[1] : undefined;
      const actual = stat === undefined ? undefined : statValue(metric, stat);
      results.push({ metric: metricName, expression, ok: state.ok, stat, actual });
    }
  }
  return results;
}

function statValue(metric, stat) {
  if (stat === 'rate' || stat === 'value') return metric.values.rate ?? metric.values.value;
  return metric.values[stat];
}

/** Every check with its group path, flattened from the group tree. */
export function checkResults(data) {
  const results = [];
  const walk = (group, groupPath) => {
    for (const check of group.checks ?? []) {
      results.push({ group: groupPath, name: check.name, passes: check.passes, fails: check.fails });
    }
    for (const child of group.groups ?? []) walk(child, groupPath ? `${groupPath} / ${child.name}` : child.name);
  };
  walk(data.root_group, '');
  return results;
}

export function buildSummary(data, run) {
  const thresholds = thresholdResults(data);
  return {
    format: SUMMARY_FORMAT,
    script: run.script,
    shape: run.shape,
    target: run.target,
    passed: thresholds.every((threshold) => threshold.ok),
    durationMs: Math.round(data.state.testRunDurationMs),
    thresholds,
    checks: checkResults(data),
    metrics: data.metrics,
    setup: data.setup_data ?? null,
  };
}

function formatValue(metric, stat, value) {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  if (metric.type === 'rate' && (stat === 'rate' || stat === 'value')) return `${(value * 100).toFixed(2)}%`;
  if (metric.contains === 'time' && stat !== 'count') return formatMs(value);
  if (metric.contains === 'data') return `${(value / 1024).toFixed(1)} kB`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function formatMs(ms) {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 1) return `${ms.toFixed(1)}ms`;
  return `${(ms * 1000).toFixed(0)}µs`;
}

function pad(text, width) {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** Trend metrics with a tag selector, e.g. `http_req_duration{step:place-order}`: the per-step table. */
function submetricRows(data) {
  return Object.keys(data.metrics)
    .filter((name) => name.includes('{') && data.metrics[name].type === 'trend')
    .sort()
    .map((name) => ({ name, metric: data.metrics[name] }));
}

export function textSummary(summary, data) {
  const lines = [];
  const verdict = summary.passed ? 'PASSED' : 'FAILED';
  const shape = summary.shape;
  lines.push(`${summary.script} · shape ${shape.name} · ${(summary.durationMs / 1000).toFixed(1)}s · ${verdict}`);
  for (const [key, value] of Object.entries(summary.target)) lines.push(`  ${key}: ${value}`);
  lines.push('');

  lines.push('thresholds');
  const nameWidth = Math.max(10, ...summary.thresholds.map((threshold) => threshold.metric.length)) + 2;
  const exprWidth = Math.max(10, ...summary.thresholds.map((threshold) => threshold.expression.length)) + 2;
  for (const threshold of summary.thresholds) {
    const metric = data.metrics[threshold.metric];
    const actual = threshold.stat === undefined ? '' : `${threshold.stat}=${formatValue(metric, threshold.stat, threshold.actual)}`;
    lines.push(`  ${threshold.ok ? 'ok  ' : 'FAIL'} ${pad(threshold.metric, nameWidth)}${pad(threshold.expression, exprWidth)}${actual}`);
  }
  lines.push('');

  if (summary.checks.length > 0) {
    lines.push('checks');
    const checkWidth = Math.max(...summary.checks.map((check) => checkLabel(check).length)) + 2;
    for (const check of summary.checks) {
      const total = check.passes + check.fails;
      const failed = check.fails > 0 ? ` (${check.fails} failed)` : '';
      lines.push(`  ${check.fails === 0 ? 'ok  ' : 'FAIL'} ${pad(checkLabel(check), checkWidth)}${check.passes}/${total}${failed}`);
    }
    lines.push('');
  }

  const reqs = data.metrics.http_reqs;
  const failedReqs = data.metrics.http_req_failed;
  const iterations = data.metrics.iterations;
  if (reqs) {
    const parts = [`${reqs.values.count} requests (${reqs.values.rate.toFixed(1)}/s)`];
    if (failedReqs) parts.push(`${(failedReqs.values.rate * 100).toFixed(2)}% failed`);
    if (iterations) parts.push(`${iterations.values.count} iterations`);
    lines.push(`traffic: ${parts.join(', ')}`);
  }

  const trendRows = [];
  if (data.metrics.http_req_duration) trendRows.push({ name: 'http_req_duration', metric: data.metrics.http_req_duration });
  trendRows.push(...submetricRows(data));
  for (const name of Object.keys(data.metrics).sort()) {
    const metric = data.metrics[name];
    if (metric.type === 'trend' && !name.includes('{') && !name.startsWith('http_req_') && name !== 'iteration_duration') {
      trendRows.push({ name, metric });
    }
  }
  if (trendRows.length > 0) {
    const stats = ['med', 'p(95)', 'p(99)', 'max', 'count'];
    const width = Math.max(...trendRows.map((row) => row.name.length)) + 2;
    lines.push(`${pad('latency', width + 2)}${stats.map((stat) => pad(stat, 10)).join('')}`);
    for (const row of trendRows) {
      const cells = stats.map((stat) => pad(formatValue(row.metric, stat, row.metric.values[stat]), 10));
      lines.push(`  ${pad(row.name, width)}${cells.join('')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function checkLabel(check) {
  return check.group ? `${check.group}: ${check.name}` : check.name;
}

/**
 * The script's handleSummary: the text on stdout, and both files in SUMMARY_DIR when it is set.
 * `run` is `{ script, shape, target }`, recorded in the JSON so a summary explains itself.
 */
export function summaryHandler(run) {
  return (data) => {
    const summary = buildSummary(data, run);
    const text = textSummary(summary, data);
    const outputs = { stdout: `\n${text}\n` };
    const dir = envString('SUMMARY_DIR', undefined);
    if (dir !== undefined) {
      const base = dir.replace(/\/+$/, '');
      outputs[`${base}/summary.json`] = `${JSON.stringify(summary, null, 2)}\n`;
      outputs[`${base}/summary.txt`] = text;
    }
    return outputs;
  };
}
