import type { MetricDefinition } from '@qoslab/contracts/metrics';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '@qoslab/native-stack';

export interface Expression {
  where: string;
  expr: string;
  kind: 'dashboard' | 'record' | 'alert' | 'variable';
}

export interface Dashboard {
  panels: { title: string; targets?: { expr?: string }[] }[];
  templating?: { list: { name: string; query: { query: string } | string }[] };
}

const dashboardDir = join(repoRoot, 'observability', 'grafana', 'dashboards');
const rulesDir = join(repoRoot, 'observability', 'prometheus', 'rules');

/** The shipped Grafana dashboards, parsed; callers that read more fields pass a richer type. */
export function dashboardFiles<T extends Dashboard = Dashboard>(): { name: string; dashboard: T }[] {
  return readdirSync(dashboardDir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({ name, dashboard: JSON.parse(readFileSync(join(dashboardDir, name), 'utf8')) as T }));
}

/** Every PromQL expression the kit ships: dashboard panels and variables, recording and alerting rules. */
export function shippedExpressions(): Expression[] {
  const out: Expression[] = [];
  for (const { name, dashboard } of dashboardFiles()) {
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) if (target.expr) out.push({ where: `${name} / ${panel.title}`, expr: target.expr, kind: 'dashboard' });
    }
    for (const variable of dashboard.templating?.list ?? []) {
      const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
      out.push({ where: `${name} / $${variable.name}`, expr: query.replace(/^label_values\((.*),\s*\w+\)$/, '$1'), kind: 'variable' });
    }
  }
  for (const file of readdirSync(rulesDir).filter((name) => name.endsWith('.yml'))) {
    const rules = parse(readFileSync(join(rulesDir, file), 'utf8')) as { groups: { rules: { record?: string; alert?: string; expr: string }[] }[] };
    for (const rule of rules.groups.flatMap((group) => group.rules)) {
      out.push({ where: `${file} / ${rule.record ?? rule.alert}`, expr: rule.expr, kind: rule.record ? 'record' : 'alert' });
    }
  }
  return out;
}

const keywords = new Set([
  'sum', 'max', 'min', 'avg', 'count', 'by', 'without', 'rate', 'irate', 'increase', 'histogram_quantile', 'and', 'or',
  'unless', 'on', 'ignoring', 'group_left', 'group_right', 'label_values', 'bool', 'offset', 'le', 'clamp_min', 'clamp_max',
  'topk', 'bottomk', 'abs', 'delta', 'deriv', 'max_over_time', 'min_over_time', 'avg_over_time', 'vector', 'scalar',
]);

/** Metric names in a PromQL expression: identifiers followed by a selector, a range or nothing. */
export function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  const withoutLabels = withoutStrings
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = withoutLabels.match(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\{|\[|\)|$|\s*[/*+\-<>=]))/g) ?? [];
  return names.filter((name) => !keywords.has(name) && !/^\d/.test(name));
}

/** Grafana variables replaced by values that keep the PromQL valid and match everything. */
export function substituteVariables(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '5m').replace(/\$\{?[a-zA-Z_]+\}?/g, '.*');
}

/**
 * An alert's condition is usually false, so its expression returns nothing on a healthy system. With
 * `bool` after each comparison with a number it returns 0 or 1 for every series it compares, which
 * shows that the series it watches exist.
 */
export function evaluable(expression: Expression): string {
  const expr = substituteVariables(expression.expr);
  return expression.kind === 'alert' ? expr.replace(/(>=|<=|==|!=|>|<)\s*(?=[0-9.])/g, '$1 bool ') : expr;
}

const UNIT_SUFFIX: Record<string, string> = { s: '_seconds', By: '_bytes', ms: '_milliseconds' };

/**
 * The series names Prometheus stores for an instrument, as the OTLP translation (Collector and
 * Prometheus alike) writes them: dots become underscores, a unit adds its suffix (annotations in braces
 * add none), counters end in _total, and a histogram is its _bucket, _sum and _count.
 */
export function prometheusNames(metric: MetricDefinition): string[] {
  const base = metric.name.replace(/\./g, '_') + (UNIT_SUFFIX[metric.unit] ?? '');
  if (metric.kind === 'histogram') return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
  return [metric.kind === 'counter' || metric.kind === 'observable-counter' ? `${base}_total` : base];
}
