// Go's time.Duration String() for the durations kubelet events print: `718ms`, `1.561s`,
// `1m2.345s`, `5m0s`, `1h0m0s` (src/time/time.go). Input is whole or fractional milliseconds.

function trimFraction(digits: string): string {
  const t = digits.replace(/0+$/, '');
  return t ? `.${t}` : '';
}

/** Formats `ms` (non-negative) as Go prints a Duration of that length. */
export function formatGoDuration(ms: number): string {
  if (ms < 0) return `-${formatGoDuration(-ms)}`;
  const ns = BigInt(Math.round(ms * 1e6));
  if (ns === 0n) return '0s';
  if (ns < 1_000_000_000n) {
    // Below a second Go picks ns, µs or ms and prints a fraction of that unit.
    const [unit, size] = ns < 1000n ? ['ns', 1n] : ns < 1_000_000n ? ['µs', 1000n] : ['ms', 1_000_000n];
    const whole = ns / size;
    const frac = (ns % size).toString().padStart(size.toString().length - 1, '0');
    return `${whole}${size === 1n ? '' : trimFraction(frac)}${unit}`;
  }
  const totalSec = ns / 1_000_000_000n;
  const fracNs = (ns % 1_000_000_000n).toString().padStart(9, '0');
  const h = totalSec / 3600n;
  const m = (totalSec % 3600n) / 60n;
  const s = totalSec % 60n;
  let out = '';
  if (h > 0n) out += `${h}h`;
  if (h > 0n || m > 0n) out += `${m}m`;
  return `${out}${s}${trimFraction(fracNs)}s`;
}

/** Go's `d.Truncate(time.Millisecond)` then String(): what `Successfully pulled image` prints. */
export function formatPullDuration(ms: number): string {
  return formatGoDuration(Math.floor(ms));
}
