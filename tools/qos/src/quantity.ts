/**
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), parsed the way
 * ParseQuantity does it and kept exactly, in nano units, as a bigint.
 *
 *   <quantity> ::= <sign>? <digits> ( "." <digits>? )? <suffix>   (also ".5", "5.")
 *   <suffix>   ::= Ki | Mi | Gi | Ti | Pi | Ei            (powers of 2)
 *                | n | u | m | "" | k | M | G | T | P | E  (powers of 10)
 *                | ( e | E ) <sign>? <digits>              (decimal exponent)
 *
 * Like the API server, a non-zero value finer than 1n is rounded up (away from zero) to 1n, and a
 * binary-suffixed value is capped at 2^63-1. Value() and MilliValue() round up, as in Go.
 */

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

export interface Quantity {
  /** The text it was parsed from. */
  readonly text: string;
  /** The exact value times 10^9. */
  readonly nanos: bigint;
}

const NANO = 1_000_000_000n;
const MAX_INT64 = (1n << 63n) - 1n;
const SUFFIX_CHARS = 'eEinumkKMGTP';
const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

function formatError(text: string): QuantityError {
  return new QuantityError(`"${text}" is not a valid quantity: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
}

/** Mirrors parseQuantityString: sign, numerator, denominator and suffix, or a format error. */
function split(str: string): { positive: boolean; num: string; denom: string; suffix: string } {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === '-') {
    positive = false;
    pos++;
  } else if (str[0] === '+') {
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, num: '0', denom: '', suffix: '' };

  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, num: num === '' ? '0' : num, denom: '', suffix: '' };
  if (num === '') num = '0';
  pos = i;

  let denom = '';
  if (str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, num, denom, suffix: '' };
    pos = i;
  }

  const suffixStart = pos;
  i = pos;
  while (i < end && SUFFIX_CHARS.includes(str[i] as string)) i++;
  if (i >= end) return { positive, num, denom, suffix: str.slice(suffixStart) };
  pos = i;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  for (i = pos; i < end; i++) {
    if (!isDigit(str[i])) throw formatError(str);
  }
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

/** Parses a quantity; throws QuantityError for anything the API server would refuse to parse. */
export function parseQuantity(input: string | number | bigint): Quantity {
  const text = (typeof input === 'string' ? input : String(input)).trim();
  if (text === '') throw new QuantityError('"" is not a valid quantity: it is empty');
  const { positive, num, denom, suffix } = split(text);

  let base: 2 | 10;
  let exponent: number;
  let binary: bigint | undefined;
  if (suffix in DECIMAL_SUFFIXES) {
    base = 10;
    exponent = DECIMAL_SUFFIXES[suffix] as number;
  } else if (suffix in BINARY_SUFFIXES) {
    base = 2;
    binary = BINARY_SUFFIXES[suffix] as bigint;
    exponent = 0;
  } else if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?\d+$/.test(suffix.slice(1))) {
    base = 10;
    // Go parses the exponent as int64 and keeps its low 32 bits.
    exponent = Number(BigInt.asIntN(32, BigInt(suffix.slice(1))));
  } else {
    throw new QuantityError(`"${text}" is not a valid quantity: unknown suffix "${suffix}" (use m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3)`);
  }

  // value = (num.denom) * base^exponent, computed as numerator / 10^scale
  let numerator = BigInt(num + denom);
  let scale = denom.length;
  if (base === 2) {
    numerator <<= binary as bigint;
  } else if (exponent >= 0) {
    numerator *= pow10(exponent);
  } else {
    scale -= exponent;
  }
  // To nano units, rounding a remainder up (away from zero) like inf.Dec.Round(..., 9, RoundUp).
  let nanos: bigint;
  if (scale <= 9) {
    nanos = numerator * pow10(9 - scale);
  } else {
    const divisor = pow10(scale - 9);
    nanos = numerator / divisor;
    if (numerator % divisor !== 0n) nanos += 1n;
  }
  if (base === 2 && nanos > MAX_INT64 * NANO) nanos = MAX_INT64 * NANO;
  return { text, nanos: positive ? nanos : -nanos };
}

export const ZERO: Quantity = { text: '0', nanos: 0n };

function ceilDiv(value: bigint, divisor: bigint): bigint {
  const quotient = value / divisor;
  return value % divisor !== 0n ? quotient + 1n : quotient;
}

function toInt64(value: bigint, q: Quantity): bigint {
  if (value > MAX_INT64 || value < -MAX_INT64 - 1n) {
    throw new QuantityError(`"${q.text}" is out of range: Kubernetes keeps quantities as 64-bit integers`);
  }
  return value;
}

/** Quantity.Value(): whole units, rounded up. */
export function value(q: Quantity): bigint {
  return toInt64(ceilDiv(q.nanos, NANO), q);
}

/** Quantity.MilliValue(): thousandths, rounded up (CPU in millicores). */
export function milliValue(q: Quantity): bigint {
  return toInt64(ceilDiv(q.nanos, 1_000_000n), q);
}

export function add(a: Quantity, b: Quantity): Quantity {
  return { text: `${a.text}+${b.text}`, nanos: a.nanos + b.nanos };
}

export function sub(a: Quantity, b: Quantity): Quantity {
  return { text: `${a.text}-${b.text}`, nanos: a.nanos - b.nanos };
}

export function cmp(a: Quantity, b: Quantity): number {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

export function sign(q: Quantity): number {
  return q.nanos > 0n ? 1 : q.nanos < 0n ? -1 : 0;
}

export function isZero(q: Quantity): boolean {
  return q.nanos === 0n;
}

function trimDecimal(units: bigint, scaleDigits: number, nanos: bigint): string {
  const whole = nanos / units;
  const fraction = nanos % units;
  if (fraction === 0n) return String(whole);
  return `${whole}.${String(fraction).padStart(scaleDigits, '0').replace(/0+$/, '')}`;
}

/** CPU for people: 250m, 1, 1.5. */
export function formatCpu(q: Quantity): string {
  if (q.nanos % 1_000_000n === 0n && q.nanos % NANO !== 0n) return `${q.nanos / 1_000_000n}m`;
  return trimDecimal(NANO, 9, q.nanos);
}

/** Bytes for people: 128Mi, 1.5Gi, 1000 (two decimals at most, exact or not shown scaled). */
export function formatBytes(q: Quantity): string {
  const bytes = value(q);
  const units: [string, bigint][] = [
    ['Ei', 1n << 60n],
    ['Pi', 1n << 50n],
    ['Ti', 1n << 40n],
    ['Gi', 1n << 30n],
    ['Mi', 1n << 20n],
    ['Ki', 1n << 10n],
  ];
  for (const [suffix, size] of units) {
    if (bytes >= size && (bytes * 100n) % size === 0n) {
      const whole = bytes / size;
      const hundredths = ((bytes % size) * 100n) / size;
      const fraction = hundredths === 0n ? '' : `.${String(hundredths).padStart(2, '0').replace(/0+$/, '')}`;
      return `${whole}${fraction}${suffix}`;
    }
  }
  return String(bytes);
}
