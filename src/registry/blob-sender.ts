// Sending blob bytes to a client: the hot path of every pull.
//
// A stream from fs.createReadStream allocates a fresh buffer for every chunk it reads. For a 20 MiB
// layer at 1 MiB chunks that is 20 new 1 MiB allocations: each is a fresh mmap the kernel must
// fault in during the read, and the external memory drives V8 into frequent full collections.
// Profiled on the bench host (bench/registry, 10 x 20 MiB pull), stream allocation, page faults
// and garbage collection cost about as much CPU as the TLS encryption itself. Here a response
// reads into two buffers taken from a shared pool, alternating: one is being written while the
// next chunk is read into the other, and a buffer is reused only after the socket has called
// back for its write (until then the socket may still hold it: TLS encrypts it, plain HTTP may
// queue it).
import type { ServerResponse } from 'node:http';
import type { BlobReader } from './storage/types.js';

/** Fixed-size buffers reused across responses; at most `maxFree` are kept while idle. */
export class BufferPool {
  private readonly free: Buffer[] = [];

  /** `size` is the chunk size of every buffer; `maxFree` bounds the memory held between pulls. */
  constructor(readonly size: number, private readonly maxFree: number) {}

  /** A buffer of `size` bytes with arbitrary contents, from the pool or new. */
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Returns a buffer nobody references any more (its write has called back). */
  give(b: Buffer): void {
    if (b.length === this.size && this.free.length < this.maxFree) this.free.push(b);
  }

  /** Buffers held while idle (tests). */
  get idle(): number {
    return this.free.length;
  }
}

/** The blob ended before the byte range did: the file changed under the reader. */
export class ShortBlobError extends Error {
  constructor(readonly position: number) {
    super(`blob ended early at byte ${position}`);
    this.name = 'ShortBlobError';
  }
}

/**
 * Writes bytes [start, end] (inclusive) of `reader` to `res`, whose headers the caller has set,
 * then ends the response. Resolves true when every byte was handed to the socket, false when the
 * client went away first (the response is then closed already). Rejects when a read fails or the
 * blob is shorter than the range (ShortBlobError); the caller then destroys the response. Buffers
 * whose writes may still be pending when the response fails are left to the garbage collector,
 * never returned to the pool.
 */
export async function sendBlobRange(reader: BlobReader, res: ServerResponse, start: number, end: number, pool: BufferPool): Promise<boolean> {
  const bufs = [pool.take(), pool.take()];
  const inFlight: Array<Promise<boolean> | undefined> = [undefined, undefined];
  let gone = false;
  let markGone!: () => void;
  const closed = new Promise<false>((resolve) => {
    markGone = () => {
      gone = true;
      resolve(false);
    };
  });
  res.on('close', markGone);
  // The client may have left while the blob was being opened: 'close' has fired already.
  if (res.destroyed) markGone();
  let clean = false;
  // A write that called back without an error: the socket no longer needs the buffer.
  const written = (buf: Buffer, n: number): Promise<boolean> =>
    new Promise((resolve) => res.write(n === buf.length ? buf : buf.subarray(0, n), (err) => resolve(!err)));
  try {
    let pos = start;
    let i = 0;
    while (pos <= end) {
      const pending = inFlight[i];
      if (pending && !(await Promise.race([pending, closed]))) return false;
      if (gone) return false;
      const n = await reader.read(bufs[i], 0, Math.min(bufs[i].length, end - pos + 1), pos);
      if (n <= 0) throw new ShortBlobError(pos);
      if (gone) return false;
      pos += n;
      inFlight[i] = written(bufs[i], n);
      i ^= 1;
    }
    const done = await Promise.race([Promise.all(inFlight.map((p) => p ?? true)), closed]);
    if (done === false || done.includes(false) || gone) return false;
    clean = true;
    res.end();
    return true;
  } finally {
    res.off('close', markGone);
    if (clean) for (const b of bufs) pool.give(b);
  }
}
