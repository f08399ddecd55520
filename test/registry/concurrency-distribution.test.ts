// 20 concurrent pushes and 20 concurrent pulls of the same image against one registry (filesystem
// driver): every request succeeds, every pull gets exact bytes, and the image ends consistent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeImage, pushImage, sha256, startTestRegistry, type TestImage, type TestRegistry } from './distribution-harness.js';

const REPO = 'library/busy';
const N = 20;

describe('concurrency: 20 pushes and 20 pulls of one image', () => {
  let t: TestRegistry;
  let img: TestImage;
  before(async () => {
    t = await startTestRegistry();
    img = makeImage('concurrent', { layers: 3, size: 1 << 20 });
    await pushImage(t.url, REPO, 'seed', img);
  });
  after(async () => t.close());

  async function pull(): Promise<void> {
    const m = await fetch(`${t.url}/v2/${REPO}/manifests/latest`);
    const ref = m.status === 200 ? 'latest' : 'seed';
    const mr = m.status === 200 ? m : await fetch(`${t.url}/v2/${REPO}/manifests/${ref}`);
    assert.equal(mr.status, 200);
    const bytes = Buffer.from(await mr.arrayBuffer());
    assert.deepEqual(bytes, img.manifest);
    const doc = JSON.parse(bytes.toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
    await Promise.all([doc.config, ...doc.layers].map(async (d) => {
      const r = await fetch(`${t.url}/v2/${REPO}/blobs/${d.digest}`);
      assert.equal(r.status, 200);
      assert.equal(sha256(Buffer.from(await r.arrayBuffer())), d.digest);
    }));
  }

  it('all succeed and the tag ends on the image', async () => {
    const results = await Promise.allSettled([
      ...Array.from({ length: N }, () => pushImage(t.url, REPO, 'latest', img)),
      ...Array.from({ length: N }, () => pull()),
    ]);
    const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failures, []);
    const head = await fetch(`${t.url}/v2/${REPO}/manifests/latest`, { method: 'HEAD' });
    assert.equal(head.headers.get('docker-content-digest'), img.digest);
    const tags = await (await fetch(`${t.url}/v2/${REPO}/tags/list`)).json();
    assert.deepEqual(tags, { name: REPO, tags: ['latest', 'seed'] });
    assert.deepEqual(t.reg.content.listArtifacts(REPO).map((a) => [a.digest, a.size]), [[img.digest, img.manifest.length + img.config.length + 3 * (1 << 20)]]);
  });
});
