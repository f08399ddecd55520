// FilesystemDriver: blobs and uploads on a local disk.
//
// Layout under the root directory:
//   blobs/<alg>/<first two hex>/<hex>   committed blobs, content-addressed, read-only once there
//   uploads/<uuid>/data                 bytes of an upload in progress
//
// Crash safety: a blob appears only by rename(2) of a fully written upload file into blobs/. A kill
// of the process at any moment (kill -9, what the registry must survive) leaves either the complete
// blob or nothing under blobs/: once write(2) and rename(2) have returned, the bytes and the new
// name live in the kernel's page cache and dentry cache, which outlive the process. There is no
// fsync: it protects only against a crash of the whole machine, which the metadata database does
// not survive either (registry.db runs WAL with synchronous=NORMAL, durable against process
// crashes, not power loss), and under a busy disk each fsync cost 5-150 ms per blob (measured on the
// bench host), the largest single cost of a small push. The CNCF distribution registry's filesystem
// driver does not fsync either. Leftovers under uploads/ are invisible and expire.
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../names.js';
import { StorageError, checkUploadId, type BlobDriver, type BlobReader, type ByteRange } from './types.js';

/** Stream buffer size for blob reads and writes: large buffers mean fewer syscalls per layer. */
const HWM = 1 << 20;

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
}

/** A BlobDriver over a directory on a local filesystem. */
export class FilesystemDriver implements BlobDriver {
  private readonly blobsDir: string;
  private readonly uploadsDir: string;

  /** `root` is created on first use. */
  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs');
    this.uploadsDir = join(root, 'uploads');
  }

  private blobPath(d: Digest): string {
    return join(this.blobsDir, d.algorithm, d.hex.slice(0, 2), d.hex);
  }

  private uploadPath(id: string): string {
    return join(this.uploadsDir, checkUploadId(id), 'data');
  }

  /** {@inheritDoc BlobDriver.stat} */
  async stat(digest: Digest): Promise<{ size: number } | undefined> {
    try {
      const s = await stat(this.blobPath(digest));
      return { size: s.size };
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
  }

  /** {@inheritDoc BlobDriver.read} */
  async read(digest: Digest, range?: ByteRange): Promise<Readable> {
    const fh = await open(this.blobPath(digest), 'r').catch((e: unknown) => {
      if (isErrno(e, 'ENOENT')) throw new StorageError('NotFound', 'blob unknown');
      throw e;
    });
    return fh.createReadStream({ highWaterMark: HWM, start: range?.start, end: range?.end });
  }

  /** {@inheritDoc BlobDriver.open} */
  async open(digest: Digest): Promise<BlobReader | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(this.blobPath(digest), 'r');
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
    let size: number;
    try {
      size = (await fh.stat()).size;
    } catch (e) {
      await fh.close();
      throw e;
    }
    let closed: Promise<void> | undefined;
    return {
      size,
      read: async (buf, offset, length, position) => (await fh.read(buf, offset, length, position)).bytesRead,
      close: () => (closed ??= fh.close()),
    };
  }

  /** {@inheritDoc BlobDriver.delete} */
  async delete(digest: Digest): Promise<boolean> {
    try {
      await unlink(this.blobPath(digest));
      return true;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return false;
      throw e;
    }
  }

  /** {@inheritDoc BlobDriver.createUpload} */
  async createUpload(id: string): Promise<void> {
    const dir = join(this.uploadsDir, checkUploadId(id));
    await mkdir(this.uploadsDir, { recursive: true });
    try {
      await mkdir(dir);
    } catch (e) {
      if (isErrno(e, 'EEXIST')) throw new StorageError('Conflict', 'upload exists');
      throw e;
    }
    const fh = await open(join(dir, 'data'), 'wx');
    await fh.close();
  }

  /** {@inheritDoc BlobDriver.uploadSize} */
  async uploadSize(id: string): Promise<number | undefined> {
    try {
      return (await stat(this.uploadPath(id))).size;
    } catch (e) {
      if (isErrno(e, 'ENOENT') || e instanceof StorageError) return undefined;
      throw e;
    }
  }

  /** {@inheritDoc BlobDriver.append} */
  async append(id: string, offset: number, source: Readable): Promise<number> {
    const path = this.uploadPath(id);
    try {
      await truncate(path, offset);
    } catch (e) {
      source.resume();
      if (isErrno(e, 'ENOENT')) throw new StorageError('NotFound', 'upload unknown');
      throw e;
    }
    let written = 0;
    const ws = createWriteStream(path, { flags: 'r+', start: offset, highWaterMark: HWM });
    source.on('data', (c: Buffer) => { written += c.length; });
    try {
      await pipeline(source, ws);
    } catch (e) {
      await truncate(path, offset).catch(() => undefined);
      throw e;
    }
    return offset + written;
  }

  /** {@inheritDoc BlobDriver.readUpload} */
  async readUpload(id: string): Promise<Readable> {
    const path = this.uploadPath(id);
    const fh = await open(path, 'r').catch((e: unknown) => {
      if (isErrno(e, 'ENOENT')) throw new StorageError('NotFound', 'upload unknown');
      throw e;
    });
    return fh.createReadStream({ highWaterMark: HWM });
  }

  /** {@inheritDoc BlobDriver.commitUpload} */
  async commitUpload(id: string, digest: Digest): Promise<void> {
    const src = this.uploadPath(id);
    const destDir = join(this.blobsDir, digest.algorithm, digest.hex.slice(0, 2));
    await mkdir(destDir, { recursive: true });
    try {
      // Atomic: readers see the whole blob or none. An existing blob (same digest, so the same
      // bytes) is replaced by an identical file.
      await rename(src, join(destDir, digest.hex));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) throw new StorageError('NotFound', 'upload unknown');
      throw e;
    }
    await rm(join(this.uploadsDir, id), { recursive: true, force: true });
  }

  /** {@inheritDoc BlobDriver.deleteUpload} */
  async deleteUpload(id: string): Promise<boolean> {
    try {
      checkUploadId(id);
    } catch {
      return false;
    }
    const dir = join(this.uploadsDir, id);
    try {
      await stat(dir);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return false;
      throw e;
    }
    await rm(dir, { recursive: true, force: true });
    return true;
  }

  /** {@inheritDoc BlobDriver.listUploads} */
  async listUploads(): Promise<string[]> {
    try {
      return (await readdir(this.uploadsDir)).filter((n) => /^[0-9a-f-]{36}$/.test(n));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return [];
      throw e;
    }
  }
}
