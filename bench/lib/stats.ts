/** A figure measured several times: its median, quartiles and range, and every value. */
export interface Spread {
  n: number;
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
  values: number[];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower] as number;
  const b = sorted[upper] as number;
  return a + (b - a) * (position - lower);
}

function round(value: number, digits = 4): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function spread(values: number[], digits = 4): Spread {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) throw new Error('spread() of no finite values');
  const sorted = [...finite].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: round(quantile(sorted, 0.5), digits),
    q1: round(quantile(sorted, 0.25), digits),
    q3: round(quantile(sorted, 0.75), digits),
    min: round(sorted[0] as number, digits),
    max: round(sorted[sorted.length - 1] as number, digits),
    values: finite.map((value) => round(value, digits)),
  };
}

/** Element-wise a[i] / b[i] of two series measured in pairs (the same repetition). */
export function pairedRatios(a: number[], b: number[]): number[] {
  if (a.length !== b.length) throw new Error(`paired series differ in length: ${a.length} and ${b.length}`);
  return a.map((value, index) => value / (b[index] as number));
}

export function isSpread(value: unknown): value is Spread {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    ['n', 'median', 'q1', 'q3', 'min', 'max'].every((key) => typeof candidate[key] === 'number' && Number.isFinite(candidate[key])) &&
    Array.isArray(candidate.values) &&
    candidate.values.length === candidate.n
  );
}
