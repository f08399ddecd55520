// The one blob-upload state machine, shared by every blob driver. It serves the four upload styles
// real clients use (reference/registry.md section 0 item 4):
//
//   containerd   POST -> PUT ?digest= (whole body in the PUT)
//   docker       POST -> PATCH (no Content-Range, whole body) -> PUT ?digest= (empty body)
//   chunked      POST -> PATCH Content-Range a-b ... (GET for status, 416 on a gap/overlap) -> PUT
//   monolithic   POST ?digest= (whole body)
//
// States: an upload exists from POST until PUT (committed), DELETE (cancelled) or expiry
// (no activity for `ttlMs`). Bytes are hashed while they stream to the driver; a running hash is
// kept per upload so completion never re-reads the data, except after a restart or when the client
// names another algorithm, when the upload is re-read once. A digest mismatch commits nothing and
// discards the upload.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { Readable, Transform, pipeline } from 'node:stream';
import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import type { ContentIndex, UploadRecord } from './content.js';
import { RegistryError } from './errors.js';
import { parseDigest, type Digest, type DigestAlgorithm } from './names.js';
import { StorageError, UPLOAD_ID_RE, type BlobDriver } from './storage/types.js';

/** Where an upload stands, for the Location/Range headers. */
export interface UploadStatus {
  id: string;
  repository: string;
  /** Bytes received so far. */
  size: number;
}

/** A chunk's position as the client declared it (`Content-Range: start-end`, inclusive). */
export interface ChunkRange {
  start: number;
  end: number;
}

interface Session {
  /** Running hash over bytes [0, size), or undefined when unknown (after a restart). */
  hash?: Hash;
  algorithm: DigestAlgorithm;
  size: number;
  busy: boolean;
}

/** Default lifetime of an upload without activity: a day. */
export const DEFAULT_UPLOAD_TTL_MS = 24 * 3600 * 1000;

/** Parses `Content-Range: <start>-<end>` (the spec's form, no `bytes ` prefix); 416 otherwise. */
export function parseContentRange(v: string): ChunkRange {
  const m = /^([0-9]{1,15})-([0-9]{1,15})$/.exec(v);
  if (!m) throw new RegistryError('RANGE_INVALID', 'invalid Content-Range');
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > end) throw new RegistryError('RANGE_INVALID', 'Content-Range start exceeds end');
  return { start, end };
}

/** Options of the upload state machine. */
export interface UploadManagerOptions {
  driver: BlobDriver;
  index: ContentIndex;
  /** Milliseconds since the epoch; injectable so expiry is testable without waiting. */
  now?: () => number;
  ttlMs?: number;
  log?: Logger;
}

/** Drives uploads: POST/PATCH/GET/PUT/DELETE of the distribution API map onto these methods. */
export class UploadManager {
  private readonly driver: BlobDriver;
  private readonly index: ContentIndex;
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly log: Logger;
  private readonly sessions = new Map<string, Session>();
  /** Driver uploads of storeBytes in flight: they have no index row and must survive a purge. */
  private readonly transient = new Set<string>();

  constructor(opts: UploadManagerOptions) {
    this.driver = opts.driver;
    this.index = opts.index;
    this.now = opts.now ?? Date.now;
    this.ttlMs = opts.ttlMs ?? DEFAULT_UPLOAD_TTL_MS;
    this.log = opts.log ?? silentLogger;
  }

  /** Starts an upload in `repository` (POST). */
  async start(repository: string, algorithm: DigestAlgorithm = 'sha256'): Promise<UploadStatus> {
    const id = randomUUID();
    const t = this.now();
    // The index row comes first: purgeExpired treats driver uploads without a row as leftovers.
    this.index.insertUpload({ id, repository, algorithm, startedAt: t, updatedAt: t });
    try {
      await this.driver.createUpload(id);
    } catch (e) {
      this.index.deleteUpload(id);
      throw e;
    }
    this.sessions.set(id, { hash: createHash(algorithm), algorithm, size: 0, busy: false });
    return { id, repository, size: 0 };
  }

  private expired(r: UploadRecord): boolean {
    return this.now() - r.updatedAt > this.ttlMs;
  }

  /** The session of a live upload of `repository`, or BLOB_UPLOAD_UNKNOWN. */
  private async session(repository: string, id: string): Promise<Session> {
    const unknown = new RegistryError('BLOB_UPLOAD_UNKNOWN');
    if (!UPLOAD_ID_RE.test(id)) throw unknown;
    const rec = this.index.getUpload(id);
    if (!rec || rec.repository !== repository) throw unknown;
    if (this.expired(rec)) {
      await this.discard(id);
      throw unknown;
    }
    let s = this.sessions.get(id);
    if (!s) {
      const size = await this.driver.uploadSize(id);
      if (size === undefined) {
        this.index.deleteUpload(id);
        throw unknown;
      }
      s = { algorithm: rec.algorithm as DigestAlgorithm, size, busy: false };
      this.sessions.set(id, s);
    }
    return s;
  }

  /** Upload progress (GET on the upload URL). */
  async status(repository: string, id: string): Promise<UploadStatus> {
    const s = await this.session(repository, id);
    return { id, repository, size: s.size };
  }

  /**
   * Appends a chunk (PATCH). With `range` the chunk must start exactly where the upload ends
   * (else 416, nothing written); without it the body is appended (docker's streamed style).
   * `contentLength`, when the client sent one, must match the range's span and the bytes received.
   */
  async patch(repository: string, id: string, body: Readable, range?: ChunkRange, contentLength?: number): Promise<UploadStatus> {
    const s = await this.session(repository, id);
    await this.append(id, s, body, range, contentLength);
    this.index.touchUpload(id, this.now());
    return { id, repository, size: s.size };
  }

  private async append(id: string, s: Session, body: Readable, range: ChunkRange | undefined, contentLength: number | undefined): Promise<void> {
    if (s.busy) {
      body.resume();
      throw new RegistryError('RANGE_INVALID', 'another request is writing to this upload');
    }
    if (range) {
      if (range.start !== s.size) {
        body.resume();
        throw new RegistryError('RANGE_INVALID', `chunk must start at ${s.size}`, { size: s.size });
      }
      if (contentLength !== undefined && contentLength !== range.end - range.start + 1) {
        body.resume();
        throw new RegistryError('RANGE_INVALID', 'Content-Length does not match Content-Range');
      }
    }
    s.busy = true;
    try {
      const hash = s.hash?.copy();
      const tap = new Transform({
        readableHighWaterMark: 1 << 20,
        writableHighWaterMark: 1 << 20,
        transform(chunk: Buffer, _enc, cb) {
          hash?.update(chunk);
          cb(null, chunk);
        },
      });
      const source = pipeline(body, tap, () => undefined);
      const offset = s.size;
      const size = await this.driver.append(id, offset, source);
      const got = size - offset;
      const want = range ? range.end - range.start + 1 : contentLength;
      if (want !== undefined && got !== want) {
        await this.driver.append(id, offset, Readable.from([]));
        throw new RegistryError('SIZE_INVALID', `received ${got} bytes, expected ${want}`);
      }
      s.size = size;
      s.hash = hash;
    } finally {
      s.busy = false;
    }
  }

  /**
   * Completes an upload (PUT ?digest=): appends the optional final chunk, verifies the digest over
   * every byte, commits the blob and links it into the repository. A mismatch discards the
   * upload and throws DIGEST_INVALID; nothing becomes visible.
   */
  async complete(repository: string, id: string, digest: Digest, body?: Readable, range?: ChunkRange, contentLength?: number): Promise<{ digest: Digest; size: number }> {
    const s = await this.session(repository, id);
    if (body) await this.append(id, s, body, range, contentLength);
    if (s.busy) throw new RegistryError('RANGE_INVALID', 'another request is writing to this upload');
    s.busy = true;
    try {
      let actual: string;
      if (s.hash && s.algorithm === digest.algorithm) {
        actual = s.hash.copy().digest('hex');
      } else {
        const h = createHash(digest.algorithm);
        for await (const c of await this.driver.readUpload(id)) h.update(c as Buffer);
        actual = h.digest('hex');
      }
      if (actual !== digest.hex) {
        await this.discard(id);
        throw new RegistryError('DIGEST_INVALID', 'provided digest did not match uploaded content', { digest: digest.value });
      }
      await this.driver.commitUpload(id, digest);
      this.index.linkBlob(repository, digest.value, s.size);
      this.index.deleteUpload(id);
      this.sessions.delete(id);
      return { digest, size: s.size };
    } finally {
      s.busy = false;
    }
  }

  /** Cancels an upload (DELETE on the upload URL). */
  async cancel(repository: string, id: string): Promise<void> {
    await this.session(repository, id);
    await this.discard(id);
  }

  private async discard(id: string): Promise<void> {
    this.sessions.delete(id);
    this.index.deleteUpload(id);
    await this.driver.deleteUpload(id).catch((e: unknown) => {
      if (!(e instanceof StorageError)) throw e;
    });
  }

  /** Monolithic upload (POST ?digest= with the whole body). */
  async monolithic(repository: string, digest: Digest, body: Readable, contentLength?: number): Promise<{ digest: Digest; size: number }> {
    const u = await this.start(repository, digest.algorithm);
    return this.complete(repository, u.id, digest, body, undefined, contentLength);
  }

  /**
   * Stores small bytes already in memory (a manifest) as a blob, crash-safe like any upload, and
   * returns their digest. Not linked into any repository: the caller records it.
   */
  async storeBytes(bytes: Buffer, algorithm: DigestAlgorithm = 'sha256'): Promise<Digest> {
    const digest = parseDigest(`${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`);
    if (await this.driver.stat(digest)) return digest;
    const id = randomUUID();
    this.transient.add(id);
    try {
      await this.driver.createUpload(id);
      await this.driver.append(id, 0, Readable.from([bytes]));
      await this.driver.commitUpload(id, digest);
    } catch (e) {
      await this.driver.deleteUpload(id).catch(() => false);
      throw e;
    } finally {
      this.transient.delete(id);
    }
    return digest;
  }

  /**
   * Removes uploads idle for longer than the TTL, and driver uploads the index no longer knows
   * (left by a crash). Returns how many were removed. Called periodically by the registry.
   */
  async purgeExpired(): Promise<number> {
    const inDriver = await this.driver.listUploads();
    const records = new Map(this.index.listUploads().map((r) => [r.id, r]));
    let n = 0;
    for (const r of records.values()) {
      if (this.expired(r) && !this.sessions.get(r.id)?.busy) {
        await this.discard(r.id);
        n++;
      }
    }
    for (const id of inDriver) {
      if (!records.has(id) && !this.sessions.has(id) && !this.transient.has(id)) {
        if (await this.driver.deleteUpload(id)) n++;
      }
    }
    if (n) this.log.info({ removed: n }, 'purged expired uploads');
    return n;
  }
}
