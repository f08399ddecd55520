// OCI distribution-spec conformance, "Push" workflow (conformance/03_push_test.go @v1.1.1 and the
// upload styles of the v2 suite), ported to our own tests over HTTP.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AccessController, Scope } from '../../src/registry/access.js';
import {
  abs, bytesOf, DOCKER_LIST, DOCKER_MANIFEST, EMPTY_CONFIG, errorCode, makeImage, OCI_INDEX, OCI_MANIFEST,
  pushBlob, pushImage, putManifest, sha256, startTestRegistry, type TestRegistry,
} from './distribution-harness.js';

const REPO = 'conformance/push';

async function post(t: TestRegistry, repo = REPO, query = ''): Promise<string> {
  const r = await fetch(`${t.url}/v2/${repo}/blobs/uploads/${query}`, { method: 'POST' });
  assert.equal(r.status, 202, await r.text());
  assert.ok(r.headers.get('docker-upload-uuid'));
  return abs(t.url, r.headers.get('location'));
}

function withDigest(loc: string, digest: string): string {
  return `${loc}${loc.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

async function blobStatus(t: TestRegistry, repo: string, digest: string): Promise<number> {
  const r = await fetch(`${t.url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  return r.status;
}

describe('conformance: push', () => {
  let t: TestRegistry;
  before(async () => { t = await startTestRegistry(); });
  after(async () => t.close());

  it('streamed upload: PATCH without Content-Range, then PUT with an empty body (docker)', async () => {
    const blob = bytesOf('streamed', 70_000);
    const loc = await post(t);
    const patch = await fetch(loc, { method: 'PATCH', body: blob, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(patch.status, 202);
    assert.equal(patch.headers.get('range'), `0-${blob.length - 1}`);
    const put = await fetch(withDigest(abs(t.url, patch.headers.get('location')), sha256(blob)), { method: 'PUT' });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('location'), `/v2/${REPO}/blobs/${sha256(blob)}`);
    assert.equal(put.headers.get('docker-content-digest'), sha256(blob));
    const get = await fetch(`${t.url}/v2/${REPO}/blobs/${sha256(blob)}`);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), blob);
  });

  it('monolithic single POST ?digest= creates the blob (201)', async () => {
    const blob = bytesOf('single-post', 3000);
    const r = await fetch(`${t.url}/v2/${REPO}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('docker-content-digest'), sha256(blob));
    assert.equal(await blobStatus(t, REPO, sha256(blob)), 200);
  });

  it('POST then PUT with the whole body (containerd)', async () => {
    await pushBlob(t.url, REPO, bytesOf('post-put', 5000));
    assert.equal(await blobStatus(t, REPO, sha256(bytesOf('post-put', 5000))), 200);
  });

  it('chunked upload: out of order 416, first chunk 202, retry 416, status 204, second chunk, PUT', async () => {
    const blob = bytesOf('chunked', 1000);
    const c1 = blob.subarray(0, 600);
    const c2 = blob.subarray(600);
    const loc = await post(t);
    const patch = (body: Buffer, range: string, url = loc): Promise<Response> => fetch(url, {
      method: 'PATCH', body, headers: { 'content-type': 'application/octet-stream', 'content-range': range, 'content-length': String(body.length) },
    });
    const early = await patch(c2, '600-999');
    assert.equal(early.status, 416);
    const first = await patch(c1, '0-599');
    assert.equal(first.status, 202);
    assert.equal(first.headers.get('range'), '0-599');
    const next = abs(t.url, first.headers.get('location'));
    const again = await patch(c1, '0-599', next);
    assert.equal(again.status, 416);
    const status = await fetch(next);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-599');
    assert.ok(status.headers.get('location'));
    const second = await patch(c2, '600-999', abs(t.url, status.headers.get('location')));
    assert.equal(second.status, 202);
    assert.equal(second.headers.get('range'), '0-999');
    const put = await fetch(withDigest(abs(t.url, second.headers.get('location')), sha256(blob)), { method: 'PUT' });
    assert.equal(put.status, 201);
    const get = await fetch(`${t.url}/v2/${REPO}/blobs/${sha256(blob)}`);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), blob);
  });

  it('chunked upload whose last chunk rides on the PUT', async () => {
    const blob = bytesOf('chunk-put', 800);
    const loc = await post(t);
    const p = await fetch(loc, { method: 'PATCH', body: blob.subarray(0, 300), headers: { 'content-range': '0-299', 'content-length': '300' } });
    assert.equal(p.status, 202);
    const put = await fetch(withDigest(abs(t.url, p.headers.get('location')), sha256(blob)), {
      method: 'PUT', body: blob.subarray(300), headers: { 'content-range': '300-799', 'content-length': '500' },
    });
    assert.equal(put.status, 201, await put.text());
    assert.equal(await blobStatus(t, REPO, sha256(blob)), 200);
  });

  it('a wrong digest on PUT is 400 DIGEST_INVALID, commits nothing and ends the upload', async () => {
    const blob = bytesOf('wrong-digest', 500);
    const claimed = sha256('something else');
    const loc = await post(t);
    const put = await fetch(withDigest(loc, claimed), { method: 'PUT', body: blob });
    assert.equal(put.status, 400);
    assert.equal(await errorCode(put), 'DIGEST_INVALID');
    assert.equal(await blobStatus(t, REPO, claimed), 404);
    assert.equal(await blobStatus(t, REPO, sha256(blob)), 404);
    assert.equal((await fetch(loc)).status, 404);
  });

  it('upload cancel: DELETE is 204, then the upload is unknown', async () => {
    const loc = await post(t);
    const del = await fetch(loc, { method: 'DELETE' });
    assert.equal(del.status, 204);
    const st = await fetch(loc);
    assert.equal(st.status, 404);
    assert.equal(await errorCode(st), 'BLOB_UPLOAD_UNKNOWN');
  });

  it('a zero-byte blob uploads and reads back empty', async () => {
    const d = await pushBlob(t.url, REPO, Buffer.alloc(0));
    assert.equal(d, 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const r = await fetch(`${t.url}/v2/${REPO}/blobs/${d}`);
    assert.equal(r.status, 200);
    assert.equal((await r.arrayBuffer()).byteLength, 0);
  });

  it('a sha512 upload (digest-algorithm) is stored and served under its sha512 digest', async () => {
    const blob = bytesOf('sha512', 2048);
    const digest = `sha512:${createHash('sha512').update(blob).digest('hex')}`;
    const loc = await post(t, REPO, '?digest-algorithm=sha512');
    const put = await fetch(withDigest(loc, digest), { method: 'PUT', body: blob });
    assert.equal(put.status, 201, await put.text());
    assert.equal(put.headers.get('docker-content-digest'), digest);
    const get = await fetch(`${t.url}/v2/${REPO}/blobs/${digest}`);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), blob);
  });

  it('cross-repository mount with from: 201 with Location and Docker-Content-Digest', async () => {
    const blob = bytesOf('mount-src', 4096);
    const d = await pushBlob(t.url, 'conformance/source', blob);
    assert.equal(await blobStatus(t, 'conformance/target', d), 404);
    const r = await fetch(`${t.url}/v2/conformance/target/blobs/uploads/?mount=${d}&from=conformance/source`, { method: 'POST' });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('location'), `/v2/conformance/target/blobs/${d}`);
    assert.equal(r.headers.get('docker-content-digest'), d);
    const get = await fetch(`${t.url}/v2/conformance/target/blobs/${d}`);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), blob);
  });

  const fallbacks = [
    { name: 'a blob the source does not hold', query: () => `?mount=${sha256('never pushed')}&from=conformance/source` },
    { name: 'no from (no automatic content discovery)', query: () => `?mount=${sha256(bytesOf('mount-src', 4096))}` },
  ];
  for (const c of fallbacks) {
    it(`mount of ${c.name} falls back to an upload (202 + Location)`, async () => {
      const r = await fetch(`${t.url}/v2/conformance/target2/blobs/uploads/${c.query()}`, { method: 'POST' });
      assert.equal(r.status, 202);
      const st = await fetch(abs(t.url, r.headers.get('location')));
      assert.equal(st.status, 204);
    });
  }

  it('manifest PUT with one layer and GET by digest', async () => {
    const img = makeImage('push-one');
    await pushImage(t.url, REPO, 'one', img);
    const r = await fetch(`${t.url}/v2/${REPO}/manifests/${img.digest}`);
    assert.equal(r.status, 200);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), img.manifest);
  });

  it('manifest PUT with zero layers (an artifact on the empty config)', async () => {
    const empty = Buffer.from('{}');
    await pushBlob(t.url, REPO, empty);
    const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/vnd.example+type', config: { mediaType: EMPTY_CONFIG, digest: sha256(empty), size: 2 }, layers: [] }));
    const r = await putManifest(t.url, REPO, 'nolayers', m, OCI_MANIFEST);
    assert.equal(r.status, 201, await r.text());
    assert.equal(r.headers.get('location'), `/v2/${REPO}/manifests/${sha256(m)}`);
  });

  it('Docker schema2 manifest and manifest list are accepted, and a tag may change media type', async () => {
    const img = makeImage('docker-img', { docker: true });
    await pushImage(t.url, REPO, 'multi', img);
    const head1 = await fetch(`${t.url}/v2/${REPO}/manifests/multi`, { method: 'HEAD' });
    assert.equal(head1.headers.get('content-type'), DOCKER_MANIFEST);
    const list = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_LIST, manifests: [{ mediaType: DOCKER_MANIFEST, digest: img.digest, size: img.manifest.length, platform: { architecture: 'amd64', os: 'linux' } }] }));
    const r = await putManifest(t.url, REPO, 'multi', list, DOCKER_LIST);
    assert.equal(r.status, 201, await r.text());
    const head2 = await fetch(`${t.url}/v2/${REPO}/manifests/multi`, { method: 'HEAD' });
    assert.equal(head2.headers.get('content-type'), DOCKER_LIST);
    assert.equal(head2.headers.get('docker-content-digest'), sha256(list));
    const oci = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: DOCKER_MANIFEST, digest: img.digest, size: img.manifest.length }] }));
    assert.equal((await putManifest(t.url, REPO, 'multi', oci, OCI_INDEX)).status, 201);
    const get = await fetch(`${t.url}/v2/${REPO}/manifests/multi`);
    assert.equal(get.headers.get('content-type'), OCI_INDEX);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), oci);
  });

  it('an index naming a manifest the repository lacks is 400 MANIFEST_BLOB_UNKNOWN', async () => {
    const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sha256('absent manifest'), size: 10 }] }));
    const r = await putManifest(t.url, REPO, 'sparse', idx, OCI_INDEX);
    assert.equal(r.status, 400);
    assert.equal(await errorCode(r), 'MANIFEST_BLOB_UNKNOWN');
  });

  it('a manifest naming a missing layer is 400 MANIFEST_BLOB_UNKNOWN; a non-distributable layer need not exist', async () => {
    const img = makeImage('missing-layer');
    const r = await putManifest(t.url, REPO, 'missing', img.manifest, img.mediaType);
    assert.equal(r.status, 400);
    assert.equal(await errorCode(r), 'MANIFEST_BLOB_UNKNOWN');
    await pushBlob(t.url, REPO, img.config);
    const nd = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(img.config), size: img.config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', digest: sha256('foreign layer'), size: 13, urls: ['https://example.invalid/layer'] }],
    }));
    assert.equal((await putManifest(t.url, REPO, 'nondist', nd, OCI_MANIFEST)).status, 201);
  });

  it('PUT by digest with ?tag= params tags it and answers one OCI-Tag per tag', async () => {
    const img = makeImage('multi-tag');
    await pushImage(t.url, REPO, img.digest, img);
    const r = await fetch(`${t.url}/v2/${REPO}/manifests/${img.digest}?tag=t1&tag=t2`, { method: 'PUT', body: img.manifest, headers: { 'content-type': img.mediaType } });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('oci-tag'), 't1, t2');
    for (const tag of ['t1', 't2']) {
      const h = await fetch(`${t.url}/v2/${REPO}/manifests/${tag}`, { method: 'HEAD' });
      assert.equal(h.headers.get('docker-content-digest'), img.digest);
    }
  });

  it('a manifest with a subject answers OCI-Subject, even when the subject is absent', async () => {
    const subject = { mediaType: OCI_MANIFEST, digest: sha256('no such subject'), size: 123 };
    const art = makeImage('with-subject', { subject, artifactType: 'application/vnd.example.sbom' });
    await pushImage(t.url, REPO, art.digest, art);
    const r = await putManifest(t.url, REPO, art.digest, art.manifest, art.mediaType);
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('oci-subject'), subject.digest);
  });
});

describe('push: cross-repository mount needs pull on the source', () => {
  let t: TestRegistry;
  // Grants push everywhere and pull only outside "secret/".
  const access: AccessController = {
    async authorize(_req, required: Scope[]) {
      return { ok: true, principal: { kind: 'user', name: 'tester' }, granted: required.filter((s) => !(s.name.startsWith('secret/') && s.actions.includes('pull'))) };
    },
  };
  before(async () => { t = await startTestRegistry({ access }); });
  after(async () => t.close());

  it('a blob in a repository the caller cannot pull is not mounted: 202 and a fresh upload', async () => {
    const blob = bytesOf('secret-blob', 1000);
    await pushBlob(t.url, 'secret/repo', blob);
    const r = await fetch(`${t.url}/v2/mine/repo/blobs/uploads/?mount=${sha256(blob)}&from=secret/repo`, { method: 'POST' });
    assert.equal(r.status, 202);
    assert.match(r.headers.get('location') ?? '', /^\/v2\/mine\/repo\/blobs\/uploads\/[0-9a-f-]{36}$/);
    assert.equal(await blobStatus(t, 'mine/repo', sha256(blob)), 404);
  });
});
