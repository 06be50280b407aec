// Horizontal bar charts with min–max whiskers, as standalone SVG (no dependencies, readable on GitHub).

export interface Bar {
  label: string;
  median: number;
  min: number;
  max: number;
  color: string;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

export interface Chart {
  title: string;
  unit: string;
  groups: BarGroup[];
  /** Vertical lines, e.g. a goal or the baseline. */
  lines?: { value: number; label: string; color: string }[];
  /** Where bars start (default 0); 1 for ratios, so a bar shows the change in either direction. */
  from?: number;
}

const BAR_HEIGHT = 14;
const BAR_GAP = 3;
const GROUP_GAP = 12;
const LEFT = 190;
const RIGHT = 40;
const TOP = 34;
const WIDTH = 820;
const LEGEND_COLUMN = 200;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceStep(span: number): number {
  const raw = span / 6;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

function format(value: number): string {
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function barChart(chart: Chart): string {
  const values = chart.groups.flatMap((group) => group.bars.flatMap((bar) => [bar.max, bar.min, bar.median]));
  const lineValues = (chart.lines ?? []).map((line) => line.value);
  const from = chart.from ?? 0;
  const top = Math.max(...values, ...lineValues) * 1.08;
  const low = Math.min(from, ...values, ...lineValues);
  const step = niceStep(top - low);
  const axisFrom = Math.floor(low / step) * step;
  const axisTo = Math.ceil(top / step) * step;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (value: number) => LEFT + ((value - axisFrom) / (axisTo - axisFrom)) * plotWidth;

  const legend = new Map<string, string>();
  const parts: string[] = [];
  let y = TOP;
  for (const group of chart.groups) {
    const groupHeight = group.bars.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP;
    parts.push(`<text x="${LEFT - 8}" y="${y + groupHeight / 2 + 4}" text-anchor="end" class="group">${escape(group.label)}</text>`);
    for (const bar of group.bars) {
      legend.set(bar.label, bar.color);
      const x0 = x(Math.max(axisFrom, from));
      const x1 = x(bar.median);
      const mid = y + BAR_HEIGHT / 2;
      parts.push(
        `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y}" width="${Math.abs(x1 - x0).toFixed(1)}" height="${BAR_HEIGHT}" fill="${bar.color}"><title>${escape(
          `${group.label} · ${bar.label}: ${format(bar.median)} ${chart.unit} (min ${format(bar.min)}, max ${format(bar.max)})`,
        )}</title></rect>`,
        `<line x1="${x(bar.min).toFixed(1)}" x2="${x(bar.max).toFixed(1)}" y1="${mid}" y2="${mid}" class="whisker"/>`,
        `<line x1="${x(bar.min).toFixed(1)}" x2="${x(bar.min).toFixed(1)}" y1="${mid - 4}" y2="${mid + 4}" class="whisker"/>`,
        `<line x1="${x(bar.max).toFixed(1)}" x2="${x(bar.max).toFixed(1)}" y1="${mid - 4}" y2="${mid + 4}" class="whisker"/>`,
        x1 >= x0
          ? `<text x="${(Math.max(x1, x(bar.max)) + 4).toFixed(1)}" y="${mid + 4}" class="value">${format(bar.median)}</text>`
          : `<text x="${(Math.min(x1, x(bar.min)) - 4).toFixed(1)}" y="${mid + 4}" text-anchor="end" class="value">${format(bar.median)}</text>`,
      );
      y += BAR_HEIGHT + BAR_GAP;
    }
    y += GROUP_GAP;
  }
  const plotBottom = y - GROUP_GAP + 4;
  const axis: string[] = [];
  for (let tick = axisFrom; tick <= axisTo + step / 2; tick += step) {
    axis.push(
      `<line x1="${x(tick).toFixed(1)}" x2="${x(tick).toFixed(1)}" y1="${TOP - 6}" y2="${plotBottom}" class="grid"/>`,
      `<text x="${x(tick).toFixed(1)}" y="${plotBottom + 14}" text-anchor="middle" class="tick">${format(tick)}</text>`,
    );
  }
  if (from !== 0) axis.push(`<line x1="${x(from).toFixed(1)}" x2="${x(from).toFixed(1)}" y1="${TOP - 6}" y2="${plotBottom}" stroke="#333" stroke-width="1"/>`);
  for (const line of chart.lines ?? []) {
    axis.push(
      `<line x1="${x(line.value).toFixed(1)}" x2="${x(line.value).toFixed(1)}" y1="${TOP - 6}" y2="${plotBottom}" stroke="${line.color}" stroke-width="1.5" stroke-dasharray="5 3"/>`,
    );
  }
  const entries: string[] = [];
  const perRow = Math.floor((WIDTH - LEFT) / LEGEND_COLUMN);
  const legendItems: { label: string; swatch: (x: number, y: number) => string }[] = [
    ...[...legend].map(([label, color]) => ({ label, swatch: (x: number, y: number) => `<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${color}"/>` })),
    ...(chart.lines ?? []).map((line) => ({
      label: line.label,
      swatch: (x: number, y: number) => `<line x1="${x}" x2="${x + 12}" y1="${y - 4}" y2="${y - 4}" stroke="${line.color}" stroke-width="1.5" stroke-dasharray="4 2"/>`,
    })),
  ];
  legendItems.forEach((item, index) => {
    const x = LEFT + (index % perRow) * LEGEND_COLUMN;
    const y = plotBottom + 36 + Math.floor(index / perRow) * 18;
    entries.push(item.swatch(x, y), `<text x="${x + 16}" y="${y}" class="tick">${escape(item.label)}</text>`);
  });
  const legendParts = entries;
  const height = plotBottom + 36 + Math.ceil(legendItems.length / perRow) * 18;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.group{font-size:12px;fill:#222}.tick{font-size:11px;fill:#555}.value{font-size:10px;fill:#333}.grid{stroke:#e4e4e4}.whisker{stroke:#222;stroke-width:1.2}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${LEFT}" y="18" class="group" font-weight="bold">${escape(`${chart.title} (${chart.unit})`)}</text>`,
    ...axis,
    ...parts,
    ...legendParts,
    '</svg>',
    '',
  ].join('\n');
}
