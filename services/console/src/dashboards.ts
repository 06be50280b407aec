import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A query of a panel, as the dashboard's JSON writes it. */
export interface Target {
  expr: string;
  legendFormat?: string;
}

interface Panel {
  id: number;
  title: string;
  description?: string;
  /** Grafana's unit name (bytes, percentunit, s, reqps, ops, short). */
  unit: string;
  /** The title of the row the panel is in, if any. */
  row?: string;
  targets: Target[];
}

/** A `label_values(metric, label)` variable: its values are the label's values on that metric. */
interface Variable {
  name: string;
  metric: string;
  label: string;
  /** What "All" stands for when the dashboard sets it (Grafana's custom all value), else every value. */
  allValue?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  file: string;
  variables: Variable[];
  panels: Panel[];
}

interface GrafanaPanel {
  id?: number;
  type: string;
  title: string;
  description?: string;
  targets?: { expr?: string; legendFormat?: string }[];
  fieldConfig?: { defaults?: { unit?: string } };
}

interface GrafanaDashboard {
  uid: string;
  title: string;
  panels: GrafanaPanel[];
  templating?: { list: { name: string; query: string | { query: string }; allValue?: string }[] };
}

// The QoS lab's panels first: they are what the workshop watches.
const ORDER = ['worker-vitals.json', 'red-per-service.json', 'service-graph.json', 'collector-health.json'];
const rank = (file: string) => (ORDER.includes(file) ? ORDER.indexOf(file) : ORDER.length);

/** The time-series panels of every dashboard in `dir`, read from the dashboards' own JSON. */
export function loadDashboards(dir: string): Dashboard[] {
  const files = readdirSync(dir).filter((file) => file.endsWith('.json'));
  files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return files.map((file) => toDashboard(file, JSON.parse(readFileSync(join(dir, file), 'utf8')) as GrafanaDashboard));
}

export function toDashboard(file: string, json: GrafanaDashboard): Dashboard {
  const variables = (json.templating?.list ?? []).map((variable) => {
    const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
    const match = /^label_values\((.+),\s*([a-zA-Z_]\w*)\)$/.exec(query.trim());
    if (!match) throw new Error(`${file}: variable $${variable.name} is not label_values(metric, label): ${query}`);
    return { name: variable.name, metric: match[1]!.trim(), label: match[2]!, ...(variable.allValue ? { allValue: variable.allValue } : {}) };
  });
  const panels: Panel[] = [];
  let row: string | undefined;
  for (const [index, panel] of json.panels.entries()) {
    if (panel.type === 'row') {
      row = panel.title;
      continue;
    }
    if (panel.type !== 'timeseries') continue;
    const targets = (panel.targets ?? []).flatMap((target) =>
      target.expr ? [{ expr: target.expr, ...(target.legendFormat ? { legendFormat: target.legendFormat } : {}) }] : [],
    );
    panels.push({
      id: panel.id ?? index,
      title: panel.title,
      ...(panel.description ? { description: panel.description } : {}),
      unit: panel.fieldConfig?.defaults?.unit ?? 'short',
      ...(row ? { row } : {}),
      targets,
    });
  }
  return { uid: json.uid, title: json.title, file, variables, panels };
}

const escapeRegex = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/**
 * An expression with Grafana's variables replaced as Grafana does with "All" of a multi-value
 * variable selected (its custom all value, else the values as one regex), and `$__rate_interval` as Grafana computes it for a
 * data source scraped every `scrapeS` seconds: max(step + scrape, 4 × scrape).
 */
export function expand(expr: string, values: Record<string, string[] | string>, stepS: number, scrapeS: number): string {
  const rateInterval = `${Math.max(stepS + scrapeS, 4 * scrapeS)}s`;
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('$__interval', `${stepS}s`)
    .replace(/\$\{?([a-zA-Z_]\w*)\}?/g, (whole, name: string) => {
      const list = values[name];
      if (list === undefined) return whole;
      if (typeof list === 'string') return list;
      return list.length === 0 ? '.+' : `(${list.map(escapeRegex).join('|')})`;
    });
}

/** A series' name from the target's legendFormat (`{{label}}` placeholders) or its labels. */
export function legend(target: Target, labels: Record<string, string>): string {
  if (target.legendFormat && target.legendFormat !== '__auto') {
    return target.legendFormat.replace(/\{\{\s*(\w+)\s*\}\}/g, (_whole, name: string) => labels[name] ?? '');
  }
  const shown = Object.entries(labels).filter(([name]) => name !== '__name__');
  return shown.length === 0 ? target.expr : `{${shown.map(([name, value]) => `${name}="${value}"`).join(', ')}}`;
}
