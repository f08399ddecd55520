// OCI distribution-spec conformance, "Content management" workflow (conformance/04_management_test.go
// @v1.1.1): delete a tag, a manifest by digest, a blob; what was deleted is gone, the rest stays.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RegistryEvents } from '../../src/registry/access.js';
import { errorCode, makeImage, pushImage, sha256, startTestRegistry, type TestImage, type TestRegistry } from './distribution-harness.js';

const REPO = 'conformance/management';

describe('conformance: content management', () => {
  let t: TestRegistry;
  let img: TestImage;
  const deleted: Array<{ digest: string; tag?: string }> = [];
  const events: RegistryEvents = {
    manifestPulled: () => {},
    manifestPushed: () => {},
    manifestDeleted: (e) => { deleted.push({ digest: e.digest, tag: e.tag }); },
  };
  before(async () => {
    t = await startTestRegistry({ events });
    img = makeImage('mgmt', { layers: 2 });
    await pushImage(t.url, REPO, 'keep', img);
    for (const tag of ['drop', 'other']) {
      const r = await fetch(`${t.url}/v2/${REPO}/manifests/${tag}`, { method: 'PUT', body: img.manifest, headers: { 'content-type': img.mediaType } });
      assert.equal(r.status, 201);
    }
  });
  after(async () => t.close());

  it('DELETE of a tag is 202; the tag is gone, the manifest and other tags stay', async () => {
    const r = await fetch(`${t.url}/v2/${REPO}/manifests/drop`, { method: 'DELETE' });
    assert.equal(r.status, 202);
    assert.equal((await fetch(`${t.url}/v2/${REPO}/manifests/drop`)).status, 404);
    assert.equal((await fetch(`${t.url}/v2/${REPO}/manifests/${img.digest}`, { method: 'HEAD' })).status, 200);
    const tags = await (await fetch(`${t.url}/v2/${REPO}/tags/list`)).json();
    assert.deepEqual(tags, { name: REPO, tags: ['keep', 'other'] });
    assert.deepEqual(deleted.at(-1), { digest: img.digest, tag: 'drop' });
  });

  it('DELETE of a manifest by digest is 202; GET by digest and by every tag is then 404', async () => {
    const r = await fetch(`${t.url}/v2/${REPO}/manifests/${img.digest}`, { method: 'DELETE' });
    assert.equal(r.status, 202);
    const get = await fetch(`${t.url}/v2/${REPO}/manifests/${img.digest}`);
    assert.equal(get.status, 404);
    assert.equal(await errorCode(get), 'MANIFEST_UNKNOWN');
    for (const tag of ['keep', 'other']) assert.equal((await fetch(`${t.url}/v2/${REPO}/manifests/${tag}`, { method: 'HEAD' })).status, 404);
    const tags = await (await fetch(`${t.url}/v2/${REPO}/tags/list`)).json();
    assert.deepEqual(tags, { name: REPO, tags: [] });
    assert.deepEqual(deleted.at(-1), { digest: img.digest, tag: undefined });
  });

  it('DELETE of a deleted manifest is 404 MANIFEST_UNKNOWN', async () => {
    const r = await fetch(`${t.url}/v2/${REPO}/manifests/${img.digest}`, { method: 'DELETE' });
    assert.equal(r.status, 404);
    assert.equal(await errorCode(r), 'MANIFEST_UNKNOWN');
  });

  it('DELETE of a blob is 202, then GET is 404; a second DELETE is 404 BLOB_UNKNOWN', async () => {
    const d = sha256(img.layers[0]);
    const r = await fetch(`${t.url}/v2/${REPO}/blobs/${d}`, { method: 'DELETE' });
    assert.equal(r.status, 202);
    assert.equal((await fetch(`${t.url}/v2/${REPO}/blobs/${d}`)).status, 404);
    const again = await fetch(`${t.url}/v2/${REPO}/blobs/${d}`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.equal(await errorCode(again), 'BLOB_UNKNOWN');
    assert.equal((await fetch(`${t.url}/v2/${REPO}/blobs/${sha256(img.layers[1])}`, { method: 'HEAD' })).status, 200);
  });
});
