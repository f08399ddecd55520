// Resource quantities (apimachinery pkg/api/resource/quantity.go): `100m`, `1.5Gi`, `2e3`.
// Values are held exactly as a count of nano-units in a bigint, which covers every suffix up to
// `E`/`Ei`; like upstream, digits finer than a nano-unit round up.

/** Upstream's error text for a string that is not a quantity (resource.ErrFormatWrong). */
export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n,
};
const DECIMAL_EXP: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** A parsed quantity: its exact value in nano-units (1 = 10^-9). */
export interface Quantity {
  nanos: bigint;
}

/** Parses a quantity string; returns undefined when it is not one (see QUANTITY_FORMAT_ERROR). */
export function parseQuantity(input: string | number): Quantity | undefined {
  const s = typeof input === 'number' ? String(input) : input;
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(s);
  if (!m || s.length === 0) return undefined;
  const [, sign, whole, frac = '', suffix] = m;
  if (whole === '' && frac === '') return undefined;
  let num = BigInt((whole || '0') + frac);
  let den = 10n ** BigInt(frac.length);
  if (suffix in BINARY) {
    num *= BINARY[suffix];
  } else {
    let exp: number;
    if (suffix in DECIMAL_EXP) exp = DECIMAL_EXP[suffix];
    else {
      const e = /^[eE]([+-]?[0-9]+)$/.exec(suffix);
      if (!e) return undefined;
      exp = Number(e[1]);
      if (!Number.isFinite(exp) || Math.abs(exp) > 64) return undefined;
    }
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  num *= 1_000_000_000n;
  let nanos = num / den;
  if (num % den !== 0n) nanos += 1n;
  return { nanos: sign === '-' ? -nanos : nanos };
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** Whether a quantity is exactly zero. */
export function isZeroQuantity(q: Quantity): boolean {
  return q.nanos === 0n;
}

/** The value in milli-units, rounded up as upstream's MilliValue does. */
export function milliValue(q: Quantity): bigint {
  const d = 1_000_000n;
  const v = q.nanos / d;
  return q.nanos % d > 0n ? v + 1n : v;
}
