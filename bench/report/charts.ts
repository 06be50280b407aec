// The performance page's charts (SVG), from a results file of bench/run.ts.
import { SERVICES } from '@qoslab/native-stack';
import { GOALS } from '../lib/analysis';
import { ENDPOINTS, type Endpoint, type Results } from '../lib/results';
import { CONTAINED_CONFIGS, isContained } from '../lib/shop';
import type { Spread } from '../lib/stats';
import { type BarGroup, barChart } from '../lib/svg';

const COLORS: Record<string, string> = {
  curated: '#3b6fb6',
  off: '#9aa5b1',
  all: '#c0504d',
  'no-runtime-node': '#6aa84f',
  sampled: '#8e7cc3',
  contained: '#45818e',
  'contained-large': '#a2c4c9',
  'curated-cached': '#76a5af',
  'off-cached': '#cccccc',
  chain: '#444444',
};

/** The bars of each route's chart: the limit, then each set-up from none to the kit's sampled one. */
const ROUTE_CHART = ['chain', 'off', 'all', 'curated', 'sampled'];

export function charts(results: Results): Record<string, string> {
  const { overhead, startup } = results;
  const compared = Object.keys(overhead.endpoints.products.ratiosToBaseline);
  const overheadGroups: BarGroup[] = [];
  for (const endpoint of Object.keys(ENDPOINTS) as Endpoint[]) {
    for (const [metric, label] of [
      ['throughput', 'throughput'],
      ['p99', 'p99 latency'],
    ] as const) {
      overheadGroups.push({
        label: `${ENDPOINTS[endpoint]} ${label}`,
        bars: compared.map((config) => {
          const ratio = overhead.endpoints[endpoint].ratiosToBaseline[config]?.[metric] as Spread;
          return { label: config, median: ratio.median, min: ratio.min, max: ratio.max, color: COLORS[config] ?? '#666' };
        }),
      });
    }
  }
  const startupGroups: BarGroup[] = SERVICES.map((service) => ({
    label: service,
    bars: Object.entries(startup.byService[service] ?? {}).map(([config, spread]) => ({
      label: config,
      median: spread.median,
      min: spread.min,
      max: spread.max,
      color: COLORS[config] ?? '#666',
    })),
  }));
  const memoryGroups: BarGroup[] = SERVICES.map((service) => ({
    label: service,
    bars: [overhead.telemetry, overhead.baseline, ...CONTAINED_CONFIGS].filter((config) => overhead.memory[config]).map((config) => {
      const rss = overhead.memory[config]?.[service]?.loadRssMiB as Spread;
      const label = isContained(config) ? `${overhead.telemetry} in ${results.settings.overhead.containedLimitsMiB[config]} MiB` : config;
      return { label, median: rss.median, min: rss.min, max: rss.max, color: COLORS[config] ?? '#666' };
    }),
  }));
  const routeChart = (endpoint: Endpoint) => {
    const figures: Record<string, Spread> = {
      ...Object.fromEntries(Object.entries(overhead.endpoints[endpoint].byConfig).map(([config, one]) => [config, one.throughput])),
      ...(endpoint === 'products' ? { chain: overhead.chain.products.throughput } : {}),
    };
    return barChart({
      title: `${ENDPOINTS[endpoint]}: throughput at ${results.settings.overhead.connections} connections`,
      unit: 'req/s',
      groups: [
        {
          label: ENDPOINTS[endpoint],
          bars: ROUTE_CHART.filter((config) => figures[config]).map((config) => {
            const spread = figures[config] as Spread;
            return { label: config, median: spread.median, min: spread.min, max: spread.max, color: COLORS[config] ?? '#666' };
          }),
        },
      ],
      lines:
        endpoint === 'products'
          ? [{ value: overhead.chain.products.throughput.median * GOALS.againstChain, label: `off goal (≥ ${GOALS.againstChain * 100}% of the chain)`, color: '#c0504d' }]
          : [],
    });
  };
  return {
    'performance-products.svg': routeChart('products'),
    'performance-orders.svg': routeChart('orders'),
    'performance-overhead.svg': barChart({
      title: `Each configuration over ${overhead.baseline} in the same repetition; bars start at 1 (no cost)`,
      unit: 'ratio',
      groups: overheadGroups,
      from: 1,
      lines: [
        { value: 1 - GOALS.throughputCost.products, label: `GET throughput goal (≥ ${1 - GOALS.throughputCost.products})`, color: '#c0504d' },
        { value: 1 + GOALS.p99Added.products, label: `GET p99 goal (≤ ${1 + GOALS.p99Added.products})`, color: '#e69138' },
      ],
    }),
    'performance-startup.svg': barChart({ title: 'Start-up: spawn to /readyz 200', unit: 'ms', groups: startupGroups }),
    'performance-memory.svg': barChart({
      title: 'Largest RSS under load',
      unit: 'MiB',
      groups: memoryGroups,
      lines: [{ value: GOALS.loadRssMiB, label: `goal (< ${GOALS.loadRssMiB} MiB)`, color: '#c0504d' }],
    }),
  };
}
