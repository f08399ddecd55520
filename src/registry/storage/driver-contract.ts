// The one contract suite every BlobDriver passes (run by driver.test.ts against each driver).
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { parseDigest, type Digest } from '../names.js';
import { StorageError, type BlobDriver } from './types.js';

/** Creates a fresh driver for one test and disposes of it afterwards. */
export interface DriverFixture {
  driver: BlobDriver;
  dispose(): Promise<void>;
}

function digestOf(b: Buffer): Digest {
  return parseDigest(`sha256:${createHash('sha256').update(b).digest('hex')}`);
}

async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** A source that emits `good` then fails, as a client connection dropping mid-chunk does. */
function failingSource(good: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(good);
      } else {
        this.destroy(new Error('connection reset'));
      }
    },
  });
}

async function pushBlob(d: BlobDriver, bytes: Buffer): Promise<Digest> {
  const id = randomUUID();
  await d.createUpload(id);
  await d.append(id, 0, Readable.from([bytes]));
  const dg = digestOf(bytes);
  await d.commitUpload(id, dg);
  return dg;
}

/** Registers the contract tests for the driver made by `make`. */
export function runDriverContract(name: string, make: () => Promise<DriverFixture>): void {
  const cases: Array<{ name: string; run: (d: BlobDriver) => Promise<void> }> = [
    {
      name: 'an unknown blob has no stat and read rejects NotFound',
      async run(d) {
        const dg = digestOf(Buffer.from('nothing'));
        assert.equal(await d.stat(dg), undefined);
        await assert.rejects(d.read(dg), (e: unknown) => e instanceof StorageError && e.code === 'NotFound');
        assert.equal(await d.delete(dg), false);
      },
    },
    {
      name: 'a blob is invisible until commit, then reads back whole and by range',
      async run(d) {
        const bytes = Buffer.from('0123456789abcdefghij');
        const dg = digestOf(bytes);
        const id = randomUUID();
        await d.createUpload(id);
        assert.equal(await d.append(id, 0, Readable.from([bytes.subarray(0, 7)])), 7);
        assert.equal(await d.append(id, 7, Readable.from([bytes.subarray(7, 12), bytes.subarray(12)])), 20);
        assert.equal(await d.uploadSize(id), 20);
        assert.equal(await d.stat(dg), undefined);
        await d.commitUpload(id, dg);
        assert.deepEqual(await d.stat(dg), { size: 20 });
        assert.equal(await d.uploadSize(id), undefined);
        assert.equal((await collect(await d.read(dg))).toString(), '0123456789abcdefghij');
        assert.equal((await collect(await d.read(dg, { start: 5, end: 9 }))).toString(), '56789');
        assert.equal((await collect(await d.read(dg, { start: 19, end: 19 }))).toString(), 'j');
      },
    },
    {
      name: 'open reads a committed blob at any position into the caller\'s buffer; absent blobs open to undefined',
      async run(d) {
        assert.equal(await d.open(digestOf(Buffer.from('absent'))), undefined);
        const bytes = Buffer.from('0123456789abcdefghij');
        const dg = await pushBlob(d, bytes);
        const r = await d.open(dg);
        assert.ok(r);
        try {
          assert.equal(r.size, 20);
          const buf = Buffer.alloc(8, 0x2e);
          assert.equal(await r.read(buf, 0, 8, 0), 8);
          assert.equal(buf.toString(), '01234567');
          assert.equal(await r.read(buf, 2, 4, 16), 4);
          assert.equal(buf.toString(), '01ghij67');
          assert.equal(await r.read(buf, 0, 8, 18), 2, 'a read past the end returns what is left');
          assert.equal(buf.subarray(0, 2).toString(), 'ij');
          assert.equal(await r.read(buf, 0, 8, 20), 0, 'a read at the end returns 0');
        } finally {
          await r.close();
          await r.close();
        }
      },
    },
    {
      name: 'a zero-byte blob commits and reads back empty',
      async run(d) {
        const dg = await pushBlob(d, Buffer.alloc(0));
        assert.deepEqual(await d.stat(dg), { size: 0 });
        assert.equal((await collect(await d.read(dg))).length, 0);
        const r = await d.open(dg);
        assert.equal(r?.size, 0);
        assert.equal(await r?.read(Buffer.alloc(4), 0, 4, 0), 0);
        await r?.close();
      },
    },
    {
      name: 'append at an earlier offset discards the tail',
      async run(d) {
        const id = randomUUID();
        await d.createUpload(id);
        await d.append(id, 0, Readable.from([Buffer.from('aaaaaaaaaa')]));
        assert.equal(await d.append(id, 4, Readable.from([Buffer.from('bb')])), 6);
        assert.equal((await collect(await d.readUpload(id))).toString(), 'aaaabb');
      },
    },
    {
      name: 'a failed append leaves the upload at the offset it started from',
      async run(d) {
        const id = randomUUID();
        await d.createUpload(id);
        await d.append(id, 0, Readable.from([Buffer.from('hello')]));
        await assert.rejects(d.append(id, 5, failingSource(Buffer.from('partial'))), /connection reset/);
        assert.equal(await d.uploadSize(id), 5);
        assert.equal((await collect(await d.readUpload(id))).toString(), 'hello');
      },
    },
    {
      name: 'uploads are listed, deleted, and unknown ids are refused',
      async run(d) {
        const a = randomUUID();
        const b = randomUUID();
        await d.createUpload(a);
        await d.createUpload(b);
        await assert.rejects(d.createUpload(a), (e: unknown) => e instanceof StorageError && e.code === 'Conflict');
        assert.deepEqual((await d.listUploads()).sort(), [a, b].sort());
        assert.equal(await d.deleteUpload(a), true);
        assert.equal(await d.deleteUpload(a), false);
        assert.deepEqual(await d.listUploads(), [b]);
        await assert.rejects(d.append(randomUUID(), 0, Readable.from([Buffer.from('x')])), (e: unknown) => e instanceof StorageError && e.code === 'NotFound');
        await assert.rejects(d.createUpload('../../etc'), (e: unknown) => e instanceof StorageError);
        assert.equal(await d.uploadSize('../x'), undefined);
      },
    },
    {
      name: 'committing a blob that exists keeps one copy and removes the upload',
      async run(d) {
        const bytes = Buffer.from('same content');
        const dg = await pushBlob(d, bytes);
        const id = randomUUID();
        await d.createUpload(id);
        await d.append(id, 0, Readable.from([bytes]));
        await d.commitUpload(id, dg);
        assert.equal(await d.uploadSize(id), undefined);
        assert.equal((await collect(await d.read(dg))).toString(), 'same content');
        assert.equal(await d.delete(dg), true);
        assert.equal(await d.stat(dg), undefined);
      },
    },
    {
      name: 'a 5 MiB blob streams through in chunks and keeps its bytes',
      async run(d) {
        const chunk = Buffer.alloc(64 * 1024);
        for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251;
        const parts = Array.from({ length: 80 }, () => chunk);
        const whole = Buffer.concat(parts);
        const dg = digestOf(whole);
        const id = randomUUID();
        await d.createUpload(id);
        await d.append(id, 0, Readable.from(parts));
        await d.commitUpload(id, dg);
        const back = await collect(await d.read(dg));
        assert.equal(back.length, whole.length);
        assert.equal(digestOf(back).value, dg.value);
      },
    },
  ];
  for (const c of cases) {
    test(`${name}: ${c.name}`, async () => {
      const f = await make();
      try {
        await c.run(f.driver);
      } finally {
        await f.dispose();
      }
    });
  }
}
