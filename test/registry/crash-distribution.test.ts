// kill -9 of a `berth registry` child in the middle of pushes: after a restart on the same data dir
// every push that completed (201) is intact, the in-flight blob is not visible, and every file under
// blobs/ holds exactly the bytes its name promises (nothing half-written is visible).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pollUntil, startBerthRegistry, type BerthRegistry } from '../helpers/registry.js';
import { abs, bytesOf, makeImage, sha256, type TestImage } from './distribution-harness.js';

const REPO = 'library/crash';

async function fileDigest(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

describe('crash: kill -9 mid-push', () => {
  let reg: BerthRegistry;
  let auth: Record<string, string>;
  before(async () => {
    reg = await startBerthRegistry({ plainHttp: true });
    auth = { authorization: `Basic ${Buffer.from(`admin:${reg.adminPassword}`).toString('base64')}` };
  });
  after(async () => reg?.stop());

  async function pushBlob(bytes: Buffer): Promise<void> {
    const post = await fetch(`${reg.url}/v2/${REPO}/blobs/uploads/`, { method: 'POST', headers: auth });
    assert.equal(post.status, 202);
    const loc = abs(reg.url, post.headers.get('location'));
    const put = await fetch(`${loc}?digest=${sha256(bytes)}`, { method: 'PUT', body: bytes, headers: auth });
    assert.equal(put.status, 201);
  }

  async function pushImage(tag: string, img: TestImage): Promise<void> {
    await pushBlob(img.config);
    for (const l of img.layers) await pushBlob(l);
    const r = await fetch(`${reg.url}/v2/${REPO}/manifests/${tag}`, { method: 'PUT', body: img.manifest, headers: { ...auth, 'content-type': img.mediaType } });
    assert.equal(r.status, 201);
  }

  it('completed blobs and manifests survive, the interrupted blob is invisible, blobs/ holds only whole blobs', async () => {
    const completed: Array<{ tag: string; img: TestImage }> = [];
    const first = makeImage('crash-first', { layers: 2, size: 1 << 20 });
    await pushImage('first', first);
    completed.push({ tag: 'first', img: first });

    // A large streamed PATCH that never finishes.
    const post = await fetch(`${reg.url}/v2/${REPO}/blobs/uploads/`, { method: 'POST', headers: auth });
    const loc = new URL(abs(reg.url, post.headers.get('location')));
    const chunk = bytesOf('crash-inflight', 1 << 20);
    const whole = Buffer.concat(Array.from({ length: 64 }, () => chunk));
    let sent = 0;
    const inflight = request({ host: loc.hostname, port: loc.port, method: 'PATCH', path: loc.pathname, headers: { ...auth, 'content-type': 'application/octet-stream' } });
    inflight.on('error', () => undefined);
    const pump = (): void => {
      while (sent < 63) {
        sent++;
        if (!inflight.write(chunk)) {
          inflight.once('drain', pump);
          return;
        }
      }
    };
    pump();

    // Pushes racing the kill: record each image whose manifest PUT answered 201.
    let stop = false;
    const pusher = (async () => {
      for (let i = 0; !stop; i++) {
        const img = makeImage(`crash-${i}`, { layers: 2, size: 256 * 1024 });
        try {
          await pushImage(`t${i}`, img);
          completed.push({ tag: `t${i}`, img });
        } catch {
          return;
        }
      }
    })();
    await pollUntil('pushes to complete while the big PATCH streams', 60_000, async () => (completed.length >= 6 && sent >= 8 ? true : undefined));
    await reg.kill9();
    stop = true;
    await pusher;
    inflight.destroy();

    await reg.restart();
    for (const { tag, img } of completed) {
      const m = await fetch(`${reg.url}/v2/${REPO}/manifests/${tag}`, { headers: auth });
      assert.equal(m.status, 200, tag);
      assert.deepEqual(Buffer.from(await m.arrayBuffer()), img.manifest, tag);
      for (const b of [img.config, ...img.layers]) {
        const r = await fetch(`${reg.url}/v2/${REPO}/blobs/${sha256(b)}`, { headers: auth });
        assert.equal(r.status, 200, tag);
        assert.equal(sha256(Buffer.from(await r.arrayBuffer())), sha256(b), tag);
      }
    }
    const partial = await fetch(`${reg.url}/v2/${REPO}/blobs/${sha256(whole)}`, { method: 'HEAD', headers: auth });
    assert.equal(partial.status, 404);

    const blobsDir = join(reg.dataDir, 'blobs', 'sha256');
    let files = 0;
    for (const prefix of await readdir(blobsDir)) {
      for (const name of await readdir(join(blobsDir, prefix))) {
        assert.equal(await fileDigest(join(blobsDir, prefix, name)), name, `blobs/sha256/${prefix}/${name} holds other bytes`);
        assert.ok(name.startsWith(prefix));
        files++;
      }
    }
    assert.ok(files >= completed.length * 3, `expected at least ${completed.length * 3} blob files, found ${files}`);
  });
});
