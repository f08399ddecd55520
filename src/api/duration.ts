// Human-readable durations as kubectl shows them in AGE columns: apimachinery
// pkg/util/duration/duration.go HumanDuration (v0.32), every step truncating towards zero.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Renders a duration in milliseconds the way upstream's HumanDuration renders a Go duration:
 * `<invalid>` for 2 s or more in the future, `0s` for up to 1 s, then s, m, h, d and y steps.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = Math.trunc(ms / SECOND) % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24);
    const dy = days % 365;
    const years = Math.trunc(days / 365);
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/**
 * The AGE cell for a timestamp (RFC 3339 string or Date): `<unknown>` when the timestamp is
 * missing or zero (upstream's translateTimestampSince), else humanDuration(now - t).
 */
export function ageSince(timestamp: string | Date | undefined | null, now: Date): string {
  if (timestamp === undefined || timestamp === null || timestamp === '') return '<unknown>';
  const t = timestamp instanceof Date ? timestamp.getTime() : Date.parse(timestamp);
  if (Number.isNaN(t) || t <= ZERO_TIME_MS) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** Go's zero time.Time, 0001-01-01T00:00:00Z, as epoch milliseconds. */
export const ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');
