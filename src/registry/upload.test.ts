import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { ContentIndex } from './content.js';
import { openRegistryDb } from './db.js';
import { isRegistryError, type ErrorCode } from './errors.js';
import { parseDigest } from './names.js';
import { MemoryDriver } from './storage/memory.js';
import { parseContentRange, UploadManager } from './upload.js';

const HOUR = 3600_000;

function setup(ttlMs = HOUR) {
  const db = openRegistryDb(':memory:');
  let clock = 1_000_000;
  const now = (): number => clock;
  const driver = new MemoryDriver();
  const index = new ContentIndex(db, now);
  const make = (): UploadManager => new UploadManager({ driver, index, now, ttlMs });
  return { db, driver, index, uploads: make(), make, advance: (ms: number) => { clock += ms; } };
}

const src = (s: string | Buffer): Readable => Readable.from([Buffer.from(s)]);
const dg = (s: string, alg: 'sha256' | 'sha512' = 'sha256') => parseDigest(`${alg}:${createHash(alg).update(s).digest('hex')}`);
const code = (c: ErrorCode) => (e: unknown) => isRegistryError(e, c);

test('Content-Range: only <start>-<end> with start <= end', () => {
  assert.deepEqual(parseContentRange('0-99'), { start: 0, end: 99 });
  for (const bad of ['bytes 0-99', 'bytes=0-99', '5-4', '-1', '0-', 'a-b', '0-99/100']) {
    assert.throws(() => parseContentRange(bad), code('RANGE_INVALID'), bad);
  }
});

test('each upload style ends in a blob linked into its repository only', async () => {
  const styles: Array<{ name: string; run: (u: UploadManager, repo: string, body: string) => Promise<void> }> = [
    { name: 'POST then PUT with the body', async run(u, repo, body) {
      const s = await u.start(repo);
      await u.complete(repo, s.id, dg(body), src(body));
    } },
    { name: 'PATCH without range then empty PUT', async run(u, repo, body) {
      const s = await u.start(repo);
      assert.equal((await u.patch(repo, s.id, src(body))).size, body.length);
      await u.complete(repo, s.id, dg(body));
    } },
    { name: 'chunked with Content-Range', async run(u, repo, body) {
      const s = await u.start(repo);
      await u.patch(repo, s.id, src(body.slice(0, 3)), { start: 0, end: 2 }, 3);
      await u.patch(repo, s.id, src(body.slice(3)), { start: 3, end: body.length - 1 });
      await u.complete(repo, s.id, dg(body));
    } },
    { name: 'monolithic POST', async run(u, repo, body) {
      await u.monolithic(repo, dg(body), src(body), body.length);
    } },
  ];
  for (const st of styles) {
    const { uploads, index, driver } = setup();
    const body = `content of ${st.name}`;
    await st.run(uploads, 'a/repo', body);
    assert.equal(index.linkedBlobSize('a/repo', dg(body).value), body.length, st.name);
    assert.equal(index.linkedBlobSize('b/repo', dg(body).value), undefined, st.name);
    assert.deepEqual(await driver.stat(dg(body)), { size: body.length }, st.name);
    assert.deepEqual(await driver.listUploads(), [], st.name);
  }
});

test('a chunk that leaves a gap or overlaps is 416 and writes nothing', async () => {
  const { uploads } = setup();
  const s = await uploads.start('r');
  await uploads.patch('r', s.id, src('abcd'), { start: 0, end: 3 });
  const cases = [
    { name: 'gap', range: { start: 5, end: 6 }, body: 'xy' },
    { name: 'overlap', range: { start: 2, end: 3 }, body: 'xy' },
    { name: 'length differs from range', range: { start: 4, end: 9 }, body: 'xy', contentLength: 2 },
  ];
  for (const c of cases) {
    await assert.rejects(uploads.patch('r', s.id, src(c.body), c.range, c.contentLength), code('RANGE_INVALID'), c.name);
    assert.equal((await uploads.status('r', s.id)).size, 4, c.name);
  }
  await assert.rejects(uploads.patch('r', s.id, src('xy'), { start: 4, end: 9 }), code('SIZE_INVALID'));
  assert.equal((await uploads.status('r', s.id)).size, 4);
  await uploads.complete('r', s.id, dg('abcdef'), src('ef'));
});

test('a digest mismatch commits nothing and ends the upload', async () => {
  const { uploads, index, driver } = setup();
  const s = await uploads.start('r');
  await assert.rejects(uploads.complete('r', s.id, dg('other'), src('data')), code('DIGEST_INVALID'));
  assert.equal(await driver.stat(dg('data')), undefined);
  assert.equal(await driver.stat(dg('other')), undefined);
  assert.equal(index.linkedBlobSize('r', dg('data').value), undefined);
  await assert.rejects(uploads.status('r', s.id), code('BLOB_UPLOAD_UNKNOWN'));
  assert.deepEqual(await driver.listUploads(), []);
});

test('an upload belongs to its repository; foreign, malformed and cancelled ids are unknown', async () => {
  const { uploads } = setup();
  const s = await uploads.start('mine');
  await assert.rejects(uploads.status('theirs', s.id), code('BLOB_UPLOAD_UNKNOWN'));
  await assert.rejects(uploads.patch('theirs', s.id, src('x')), code('BLOB_UPLOAD_UNKNOWN'));
  await assert.rejects(uploads.status('mine', '../../etc/passwd'), code('BLOB_UPLOAD_UNKNOWN'));
  await assert.rejects(uploads.status('mine', randomUUID()), code('BLOB_UPLOAD_UNKNOWN'));
  await uploads.cancel('mine', s.id);
  await assert.rejects(uploads.patch('mine', s.id, src('x')), code('BLOB_UPLOAD_UNKNOWN'));
});

test('abandoned uploads expire after the TTL without activity (injected clock)', async () => {
  const { uploads, driver, advance } = setup(HOUR);
  const idle = await uploads.start('r');
  const busy = await uploads.start('r');
  advance(HOUR - 1);
  await uploads.patch('r', busy.id, src('keep me alive'));
  assert.equal(await uploads.purgeExpired(), 0);
  advance(2);
  await assert.rejects(uploads.status('r', idle.id), code('BLOB_UPLOAD_UNKNOWN'));
  assert.equal((await uploads.status('r', busy.id)).size, 13);
  advance(HOUR + 1);
  assert.equal(await uploads.purgeExpired(), 1);
  assert.deepEqual(await driver.listUploads(), []);
});

test('after a restart an upload continues: the hash is rebuilt from the stored bytes', async () => {
  const { uploads, make, index } = setup();
  const s = await uploads.start('r');
  await uploads.patch('r', s.id, src('first half, '));
  const restarted = make();
  assert.equal((await restarted.status('r', s.id)).size, 12);
  await restarted.patch('r', s.id, src('second half'), { start: 12, end: 22 });
  await restarted.complete('r', s.id, dg('first half, second half'));
  assert.equal(index.linkedBlobSize('r', dg('first half, second half').value), 23);
});

test('a digest of another algorithm than the upload hashed is verified by re-reading', async () => {
  const { uploads, driver } = setup();
  const s = await uploads.start('r');
  await uploads.complete('r', s.id, dg('payload', 'sha512'), src('payload'));
  assert.deepEqual(await driver.stat(dg('payload', 'sha512')), { size: 7 });
});

test('purge removes driver uploads the index does not know (left by a crash)', async () => {
  const { uploads, driver } = setup();
  const orphan = randomUUID();
  await driver.createUpload(orphan);
  const live = await uploads.start('r');
  assert.equal(await uploads.purgeExpired(), 1);
  assert.deepEqual(await driver.listUploads(), [live.id]);
});
