// Size limit shared by every backend, so that an object too large for etcd is too large everywhere.
import { StoreError } from './types.js';

/**
 * Largest value a store accepts: etcd's default --max-request-bytes (1.5 MiB, etcd
 * embed/config.go DefaultMaxRequestBytes = 1.5 * 1024 * 1024). SQLite and memory use the same
 * limit so that manifests behave the same on every backend (reliability.md case 6).
 */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;

/** The message etcd's server returns for an oversized request (rpctypes.ErrRequestTooLarge). */
export const REQUEST_TOO_LARGE = 'etcdserver: request is too large';

/** Throws StoreError('Invalid', REQUEST_TOO_LARGE) when `value` exceeds `max` bytes of UTF-8. */
export function checkValueSize(value: string, max: number): void {
  // value.length <= bytes <= 3 * length: skip the byte count for the common small case.
  if (value.length * 3 <= max) return;
  if (Buffer.byteLength(value, 'utf8') > max) throw new StoreError('Invalid', REQUEST_TOO_LARGE);
}
