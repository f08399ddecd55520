// MemoryDriver: blobs and uploads held in process memory, for tests and throwaway registries.
// Chunks are kept as they arrive (no concatenation), so appends stay O(chunk).
import { Readable } from 'node:stream';
import type { Digest } from '../names.js';
import { StorageError, checkUploadId, type BlobDriver, type BlobReader, type ByteRange } from './types.js';

interface Chunks {
  parts: Buffer[];
  size: number;
}

function slice(c: Chunks, start: number, end: number): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  for (const p of c.parts) {
    const pEnd = pos + p.length;
    if (pEnd > start && pos <= end) out.push(p.subarray(Math.max(0, start - pos), Math.min(p.length, end - pos + 1)));
    pos = pEnd;
    if (pos > end) break;
  }
  return out;
}

/** A BlobDriver in memory; contents vanish with the process. */
export class MemoryDriver implements BlobDriver {
  private readonly blobs = new Map<string, Chunks>();
  private readonly uploads = new Map<string, Chunks>();

  /** {@inheritDoc BlobDriver.stat} */
  async stat(digest: Digest): Promise<{ size: number } | undefined> {
    const b = this.blobs.get(digest.value);
    return b ? { size: b.size } : undefined;
  }

  /** {@inheritDoc BlobDriver.read} */
  async read(digest: Digest, range?: ByteRange): Promise<Readable> {
    const b = this.blobs.get(digest.value);
    if (!b) throw new StorageError('NotFound', 'blob unknown');
    return Readable.from(range ? slice(b, range.start, range.end) : [...b.parts], { objectMode: false });
  }

  /** {@inheritDoc BlobDriver.open} */
  async open(digest: Digest): Promise<BlobReader | undefined> {
    const b = this.blobs.get(digest.value);
    if (!b) return undefined;
    return {
      size: b.size,
      async read(buf, offset, length, position) {
        if (length <= 0 || position >= b.size) return 0;
        let n = 0;
        for (const part of slice(b, position, Math.min(b.size, position + length) - 1)) n += part.copy(buf, offset + n);
        return n;
      },
      async close() {},
    };
  }

  /** {@inheritDoc BlobDriver.delete} */
  async delete(digest: Digest): Promise<boolean> {
    return this.blobs.delete(digest.value);
  }

  /** {@inheritDoc BlobDriver.createUpload} */
  async createUpload(id: string): Promise<void> {
    checkUploadId(id);
    if (this.uploads.has(id)) throw new StorageError('Conflict', 'upload exists');
    this.uploads.set(id, { parts: [], size: 0 });
  }

  /** {@inheritDoc BlobDriver.uploadSize} */
  async uploadSize(id: string): Promise<number | undefined> {
    return this.uploads.get(id)?.size;
  }

  /** {@inheritDoc BlobDriver.append} */
  async append(id: string, offset: number, source: Readable): Promise<number> {
    const u = this.uploads.get(id);
    if (!u) {
      source.resume();
      throw new StorageError('NotFound', 'upload unknown');
    }
    const kept = offset >= u.size ? [...u.parts] : slice(u, 0, offset - 1);
    const added: Buffer[] = [];
    let addedSize = 0;
    try {
      for await (const c of source) {
        const b = Buffer.isBuffer(c) ? c : Buffer.from(c as string);
        added.push(b);
        addedSize += b.length;
      }
    } catch (e) {
      u.parts = kept;
      u.size = Math.min(offset, u.size);
      throw e;
    }
    u.parts = [...kept, ...added];
    u.size = Math.min(offset, u.size) + addedSize;
    return u.size;
  }

  /** {@inheritDoc BlobDriver.readUpload} */
  async readUpload(id: string): Promise<Readable> {
    const u = this.uploads.get(id);
    if (!u) throw new StorageError('NotFound', 'upload unknown');
    return Readable.from([...u.parts], { objectMode: false });
  }

  /** {@inheritDoc BlobDriver.commitUpload} */
  async commitUpload(id: string, digest: Digest): Promise<void> {
    const u = this.uploads.get(id);
    if (!u) throw new StorageError('NotFound', 'upload unknown');
    this.uploads.delete(id);
    if (!this.blobs.has(digest.value)) this.blobs.set(digest.value, u);
  }

  /** {@inheritDoc BlobDriver.deleteUpload} */
  async deleteUpload(id: string): Promise<boolean> {
    return this.uploads.delete(id);
  }

  /** {@inheritDoc BlobDriver.listUploads} */
  async listUploads(): Promise<string[]> {
    return [...this.uploads.keys()];
  }
}
