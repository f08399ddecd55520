import assert from 'node:assert/strict';
import { createServer, get, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { BufferPool, ShortBlobError, sendBlobRange } from './blob-sender.js';
import type { BlobReader } from './storage/types.js';

/** A reader over `bytes` that may claim a larger size (a file cut short under it) or fail. */
function bufferReader(bytes: Buffer, opts: { size?: number; failAt?: number } = {}): BlobReader & { closed: boolean } {
  return {
    size: opts.size ?? bytes.length,
    closed: false,
    async read(buf, offset, length, position) {
      if (opts.failAt !== undefined && position >= opts.failAt) throw new Error('EIO: disk read failed');
      return bytes.copy(buf, offset, position, Math.min(bytes.length, position + length));
    },
    async close() {
      this.closed = true;
    },
  };
}

/** A reader of `size` patterned bytes that never holds them in memory (for large transfers). */
function patternReader(size: number): BlobReader {
  return {
    size,
    async read(buf, offset, length, position) {
      const n = Math.max(0, Math.min(length, size - position));
      buf.fill(position % 251, offset, offset + n);
      return n;
    },
    async close() {},
  };
}

/** Serves one handler on an ephemeral loopback port; `run` gets the URL. */
async function withServer(handler: (req: IncomingMessage, res: ServerResponse) => void, run: (url: string) => Promise<void>): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

function fetchBytes(url: string): Promise<{ status: number; body: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), complete: res.complete }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), complete: false }));
    }).on('error', reject);
  });
}

const blob = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));

test('sendBlobRange writes exactly the requested bytes and returns both buffers to the pool', async () => {
  const cases = [
    { name: 'whole blob, chunk smaller than the blob', chunk: 64, start: 0, end: 999 },
    { name: 'whole blob in one chunk', chunk: 4096, start: 0, end: 999 },
    { name: 'chunk dividing the blob exactly', chunk: 100, start: 0, end: 999 },
    { name: 'a middle range across chunk edges', chunk: 64, start: 37, end: 700 },
    { name: 'the last byte', chunk: 64, start: 999, end: 999 },
    { name: 'an empty blob (end before start)', chunk: 64, start: 0, end: -1 },
  ];
  for (const c of cases) {
    const pool = new BufferPool(c.chunk, 4);
    const reader = bufferReader(blob);
    let sent: boolean | undefined;
    await withServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': c.end - c.start + 1 });
      void sendBlobRange(reader, res, c.start, c.end, pool).then((ok) => { sent = ok; });
    }, async (url) => {
      const got = await fetchBytes(url);
      assert.equal(got.status, 200, c.name);
      assert.equal(got.complete, true, c.name);
      assert.deepEqual(got.body, blob.subarray(c.start, c.end + 1), c.name);
    });
    assert.equal(sent, true, c.name);
    assert.equal(pool.idle, 2, `${c.name}: both buffers back in the pool`);
  }
});

test('sendBlobRange stops when the client goes away and keeps in-flight buffers out of the pool', async () => {
  const pool = new BufferPool(64 * 1024, 4);
  let result!: Promise<boolean>;
  await withServer((_req, res) => {
    const size = 256 * 1024 * 1024;
    res.writeHead(200, { 'Content-Length': size });
    result = sendBlobRange(patternReader(size), res, 0, size - 1, pool);
  }, async (url) => {
    const received = await new Promise<number>((resolve) => {
      const req = get(url, { agent: false }, (res) => {
        res.once('data', (c: Buffer) => {
          req.destroy();
          resolve(c.length);
        });
      });
      req.on('error', () => resolve(0));
    });
    assert.ok(received > 0, 'the client got the first bytes before it left');
    assert.equal(await result, false);
  });
  assert.equal(pool.idle, 0, 'buffers the socket may still hold are never reused');
});

test('sendBlobRange rejects when the blob is shorter than its size or a read fails', async () => {
  const cases = [
    { name: 'file cut short', reader: () => bufferReader(blob.subarray(0, 300), { size: 1000 }), want: (e: unknown) => e instanceof ShortBlobError && e.position === 300 },
    { name: 'read error', reader: () => bufferReader(blob, { failAt: 128 }), want: /EIO: disk read failed/ },
  ];
  for (const c of cases) {
    const pool = new BufferPool(64, 4);
    let failure: Promise<unknown> | undefined;
    await withServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': 1000 });
      failure = sendBlobRange(c.reader(), res, 0, 999, pool).then(
        () => assert.fail(`${c.name}: should reject`),
        (e: unknown) => {
          res.destroy();
          return e;
        },
      );
    }, async (url) => {
      const got = await fetchBytes(url);
      assert.equal(got.complete, false, `${c.name}: the client sees a cut response, never a short "complete" one`);
      assert.ok(got.body.length < 1000, c.name);
    });
    const e = await failure;
    if (c.want instanceof RegExp) assert.match(String(e), c.want, c.name);
    else assert.ok(c.want(e), `${c.name}: got ${String(e)}`);
    assert.equal(pool.idle, 0, c.name);
  }
});

test('BufferPool keeps at most maxFree idle buffers, only of its own size', () => {
  const pool = new BufferPool(16, 2);
  const a = pool.take();
  const b = pool.take();
  const c = pool.take();
  assert.equal(a.length, 16);
  pool.give(a);
  pool.give(b);
  pool.give(c);
  assert.equal(pool.idle, 2);
  pool.give(Buffer.alloc(8));
  assert.equal(pool.idle, 2);
  assert.equal(pool.take(), b, 'the last buffer given is taken first');
});
