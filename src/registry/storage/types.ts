// The blob driver seam: where blob bytes and in-progress uploads live. Drivers store bytes only;
// the upload state machine (../upload.ts) hashes, checks sizes and decides what to commit, and the
// content index (../content.ts) decides which repository may see which blob.
import type { Readable } from 'node:stream';
import type { Digest } from '../names.js';

/** A driver failure with a string code; the HTTP server maps it to an OCI error once. */
export class StorageError extends Error {
  constructor(readonly code: 'NotFound' | 'Conflict', message: string) {
    super(message);
    this.name = 'StorageError';
  }
}

/** An inclusive byte range, already clamped to the blob's size by the caller. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * A committed blob opened for positional reads. The caller reads into buffers of its own (so a
 * server can reuse a few buffers for every response instead of allocating one per chunk) and
 * must close it.
 */
export interface BlobReader {
  /** Size of the blob as opened. */
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `buf` at `offset`; resolves the count (0 at the end). */
  read(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Releases the blob (a file handle for disk drivers). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Stores content-addressed blobs and the bytes of uploads in progress.
 *
 * Invariants every implementation keeps (checked by the one contract suite, driver-contract.ts):
 * - a blob becomes visible to stat/read only through commitUpload, all at once: a reader never
 *   sees a partial blob, and a kill -9 of the process at any point leaves the whole blob or none;
 * - append never buffers a whole upload in memory; it streams `source` to storage;
 * - a failed append (source error, disk error) leaves the upload at its previous size;
 * - upload ids are opaque to the driver but always match /^[0-9a-f-]{36}$/ (checked).
 */
export interface BlobDriver {
  /** Size of a committed blob, or undefined when absent. */
  stat(digest: Digest): Promise<{ size: number } | undefined>;
  /** Streams a committed blob, whole or an inclusive range. Rejects StorageError('NotFound'). */
  read(digest: Digest, range?: ByteRange): Promise<Readable>;
  /**
   * Opens a committed blob for positional reads (the blob GET path), or undefined when absent.
   * The size is the blob's as opened, so no separate stat is needed.
   */
  open(digest: Digest): Promise<BlobReader | undefined>;
  /** Removes a committed blob; false when it was absent. */
  delete(digest: Digest): Promise<boolean>;
  /** Creates an empty upload. Rejects StorageError('Conflict') when `id` exists. */
  createUpload(id: string): Promise<void>;
  /** Bytes held by an upload, or undefined when the upload does not exist. */
  uploadSize(id: string): Promise<number | undefined>;
  /**
   * Writes `source` into the upload starting at `offset` (bytes beyond `offset` are discarded
   * first) and resolves the upload's new size. On any failure the upload is truncated back to
   * `offset` and the error is rethrown. Rejects StorageError('NotFound') for an unknown upload.
   */
  append(id: string, offset: number, source: Readable): Promise<number>;
  /** Streams the bytes of an upload (used to hash with another algorithm). */
  readUpload(id: string): Promise<Readable>;
  /**
   * Makes the upload's bytes the blob `digest` atomically (for drivers with a disk: surviving a
   * kill -9 of the process once this resolves) and removes the upload. The caller has verified the digest. When the blob already exists the
   * upload is simply removed.
   */
  commitUpload(id: string, digest: Digest): Promise<void>;
  /** Removes an upload; false when it was absent. */
  deleteUpload(id: string): Promise<boolean>;
  /** Ids of every upload present (for expiry after a restart). */
  listUploads(): Promise<string[]>;
}

/** Upload ids are UUIDs; anything else never reaches a driver path. */
export const UPLOAD_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Throws StorageError('NotFound') for an id that is not a UUID. */
export function checkUploadId(id: string): string {
  if (!UPLOAD_ID_RE.test(id)) throw new StorageError('NotFound', 'upload unknown');
  return id;
}
