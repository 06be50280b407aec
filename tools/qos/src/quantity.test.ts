import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { QuantityError, cmp, formatBytes, formatCpu, milliValue, parseQuantity, value } from './quantity.js';

const nanos = (text: string | number | bigint): bigint => parseQuantity(text).nanos;
const N = 1_000_000_000n;

/** Exact decimal text of a nano count, without trailing zeros. */
function decimal(n: bigint): string {
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const fraction = String(abs % N).padStart(9, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${abs / N}${fraction ? `.${fraction}` : ''}`;
}
const normalize = (text: string): string => (text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text);

describe('parseQuantity follows resource.ParseQuantity', () => {
  it('reads decimal SI suffixes', () => {
    assert.equal(nanos('100m'), 100_000_000n);
    assert.equal(nanos('1'), N);
    assert.equal(nanos('1.5'), 1_500_000_000n);
    assert.equal(nanos('1k'), 1000n * N);
    assert.equal(nanos('1M'), 1_000_000n * N);
    assert.equal(nanos('1G'), 1_000_000_000n * N);
    assert.equal(nanos('5.444T'), 5_444_000_000_000n * N);
    assert.equal(nanos('2.5P'), 2_500_000_000_000_000n * N);
    assert.equal(nanos('1E'), 10n ** 18n * N, 'a bare E is exa, not an exponent');
    assert.equal(nanos('12E'), 12n * 10n ** 18n * N);
    assert.equal(nanos('1u'), 1000n);
    assert.equal(nanos('1n'), 1n);
  });

  it('reads binary SI suffixes, fractions included', () => {
    assert.equal(value(parseQuantity('1Ki')), 1024n);
    assert.equal(value(parseQuantity('128Mi')), 134_217_728n);
    assert.equal(value(parseQuantity('1.5Gi')), 1_610_612_736n);
    assert.equal(value(parseQuantity('0.5Mi')), 524_288n);
    assert.equal(nanos('100.035Ki'), 102_435_840_000_000n, '100.035 * 1024 = 102435.84');
    assert.equal(value(parseQuantity('0.05Gi')), 53_687_092n, '53687091.2 rounds up');
  });

  it('reads decimal exponents with either case and a sign', () => {
    assert.equal(nanos('1e3'), 1000n * N);
    assert.equal(nanos('1E6'), 1_000_000n * N, 'E followed by digits is an exponent');
    assert.equal(nanos('1E-3'), 1_000_000n);
    assert.equal(nanos('5e+2'), 500n * N);
    assert.equal(nanos('0.5e-1'), 50_000_000n);
  });

  it('accepts the odd number forms Go accepts', () => {
    assert.equal(nanos('.001'), 1_000_000n);
    assert.equal(nanos('.0001k'), 100_000_000n);
    assert.equal(nanos('1.'), N);
    assert.equal(nanos('1.G'), 10n ** 9n * N);
    assert.equal(nanos('+1'), N);
    assert.equal(nanos('-1'), -N);
    assert.equal(nanos('000'), 0n);
    assert.equal(nanos('0.50000'), 500_000_000n);
  });

  it('rounds anything finer than a nano up to the next nano', () => {
    assert.equal(nanos('3.001n'), 4n);
    assert.equal(nanos('1.1E-9'), 2n);
    assert.equal(nanos('0.0000000001'), 1n);
    assert.equal(nanos('0.9n'), 1n);
    assert.equal(nanos('0.00000012345'), 124n);
    assert.equal(nanos('0.000000000001Ki'), 2n, '1.024e-9 rounds up to 2n');
  });

  it('caps binary quantities at 2^63-1', () => {
    const max = (1n << 63n) - 1n;
    assert.equal(value(parseQuantity('9Ei')), max);
    assert.equal(value(parseQuantity('9223372036854775807Ki')), max);
  });

  it('takes YAML numbers and trims surrounding spaces like UnmarshalJSON', () => {
    assert.equal(nanos(0.5), 500_000_000n);
    assert.equal(nanos(2), 2n * N);
    assert.equal(nanos(134217728n), 134_217_728n * N);
    assert.equal(nanos(' 100m '), 100_000_000n);
  });

  it('refuses what the API server refuses', () => {
    for (const bad of ['', '1.1.M', '1+1.0M', '0.1mi', '0.1am', 'aoeu', '.5i', '1i', '-3.01i', '-3.01e-', '12Mb', '1K', '1e', '1 Gi', '100 m']) {
      assert.throws(() => parseQuantity(bad), QuantityError, bad);
    }
  });

  it('names an unknown suffix in the message', () => {
    assert.throws(() => parseQuantity('1K'), /unknown suffix "K"/);
  });

  it('agrees with Go on every case of the oracle file', () => {
    const oracle = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'quantity-parse.json'), 'utf8')) as {
      cases: { input: string; decimal?: string; error?: string }[];
    };
    assert.ok(oracle.cases.length > 50);
    for (const c of oracle.cases) {
      if (c.error !== undefined) {
        assert.throws(() => parseQuantity(c.input), QuantityError, `${c.input} should fail like Go: ${c.error}`);
        continue;
      }
      assert.equal(decimal(parseQuantity(c.input).nanos), normalize(c.decimal as string), c.input);
    }
  });
});

describe('values are read like Quantity.Value and MilliValue', () => {
  it('rounds up to whole units and millis', () => {
    assert.equal(value(parseQuantity('1.5')), 2n);
    assert.equal(value(parseQuantity('100m')), 1n);
    assert.equal(milliValue(parseQuantity('1u')), 1n);
    assert.equal(milliValue(parseQuantity('0.25')), 250n);
    assert.equal(milliValue(parseQuantity('2')), 2000n);
  });

  it('compares exactly across notations', () => {
    assert.equal(cmp(parseQuantity('1'), parseQuantity('1000m')), 0);
    assert.equal(cmp(parseQuantity('1Gi'), parseQuantity('1073741824')), 0);
    assert.equal(cmp(parseQuantity('1G'), parseQuantity('1Gi')), -1);
    assert.equal(cmp(parseQuantity('1e3'), parseQuantity('1k')), 0);
  });

  it('refuses values past int64 instead of wrapping', () => {
    assert.throws(() => value(parseQuantity('100E')), /out of range/);
  });

  it('formats for people', () => {
    assert.equal(formatCpu(parseQuantity('0.25')), '250m');
    assert.equal(formatCpu(parseQuantity('2')), '2');
    assert.equal(formatBytes(parseQuantity('134217728')), '128Mi');
    assert.equal(formatBytes(parseQuantity('1.5Gi')), '1.5Gi');
    assert.equal(formatBytes(parseQuantity('1000')), '1000');
  });
});
