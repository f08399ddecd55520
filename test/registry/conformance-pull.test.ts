// OCI distribution-spec conformance, "Pull" workflow (conformance/02_pull_test.go @v1.1.1 and the
// range cases of the v2 suite's run.go), ported to our own tests over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RegistryEvents } from '../../src/registry/access.js';
import { bytesOf, errorCode, makeImage, pushBlob, pushImage, sha256, startTestRegistry, type TestImage, type TestRegistry } from './distribution-harness.js';

describe('conformance: pull', () => {
  let t: TestRegistry;
  let a: TestImage;
  let b: TestImage;
  let rangeBlob: Buffer;
  let rangeDigest: string;
  const pulls: Array<{ repository: string; digest: string; tag?: string }> = [];
  const events: RegistryEvents = {
    manifestPulled: (e) => { pulls.push({ repository: e.repository, digest: e.digest, tag: e.tag }); },
    manifestPushed: () => {},
    manifestDeleted: () => {},
  };

  before(async () => {
    t = await startTestRegistry({ events });
    a = makeImage('pull-a', { layers: 2 });
    b = makeImage('pull-b', { layers: 1 });
    await pushImage(t.url, 'conformance/pull', 'tagtest0', a);
    await pushImage(t.url, 'conformance/pull', b.digest, b);
    rangeBlob = bytesOf('range', 4000);
    rangeDigest = await pushBlob(t.url, 'conformance/pull', rangeBlob);
  });
  after(async () => t.close());

  it('GET /v2/ answers 200 with Docker-Distribution-API-Version', async () => {
    const r = await fetch(`${t.url}/v2/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  const missing = sha256('no such blob');
  for (const method of ['HEAD', 'GET']) {
    it(`${method} of a nonexistent blob is 404 BLOB_UNKNOWN`, async () => {
      const r = await fetch(`${t.url}/v2/conformance/pull/blobs/${missing}`, { method });
      assert.equal(r.status, 404);
      if (method === 'GET') assert.equal(await errorCode(r), 'BLOB_UNKNOWN');
    });
  }

  it('HEAD of an existing blob gives its size and digest', async () => {
    const r = await fetch(`${t.url}/v2/conformance/pull/blobs/${sha256(a.config)}`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), String(a.config.length));
    assert.equal(r.headers.get('docker-content-digest'), sha256(a.config));
  });

  it('GET of an existing blob returns its exact bytes', async () => {
    const r = await fetch(`${t.url}/v2/conformance/pull/blobs/${sha256(a.layers[1])}`);
    assert.equal(r.status, 200);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), a.layers[1]);
    assert.equal(r.headers.get('docker-content-digest'), sha256(a.layers[1]));
  });

  const manifestCases = [
    { name: 'manifest A by digest', ref: () => a.digest, img: () => a },
    { name: 'manifest B by digest', ref: () => b.digest, img: () => b },
    { name: 'manifest A by tag', ref: () => 'tagtest0', img: () => a },
  ];
  for (const c of manifestCases) {
    it(`HEAD ${c.name} gives Docker-Content-Digest, Content-Length and Content-Type`, async () => {
      const r = await fetch(`${t.url}/v2/conformance/pull/manifests/${c.ref()}`, { method: 'HEAD', headers: { accept: '*/*' } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('docker-content-digest'), c.img().digest);
      assert.equal(r.headers.get('content-length'), String(c.img().manifest.length));
      assert.equal(r.headers.get('content-type'), c.img().mediaType);
    });
    it(`GET ${c.name} returns the exact bytes pushed`, async () => {
      const r = await fetch(`${t.url}/v2/conformance/pull/manifests/${c.ref()}`, { headers: { accept: c.img().mediaType } });
      assert.equal(r.status, 200);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), c.img().manifest);
      assert.equal(r.headers.get('docker-content-digest'), c.img().digest);
    });
  }

  it('Accept naming only other types still gets the stored bytes with their own Content-Type (reference 1.4)', async () => {
    const r = await fetch(`${t.url}/v2/conformance/pull/manifests/tagtest0`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), a.mediaType);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), a.manifest);
  });

  it('a nonexistent tag is 404 MANIFEST_UNKNOWN', async () => {
    const r = await fetch(`${t.url}/v2/conformance/pull/manifests/nosuchtag`);
    assert.equal(r.status, 404);
    assert.equal(await errorCode(r), 'MANIFEST_UNKNOWN');
  });

  it('a bogus digest reference is 400 with a spec error code', async () => {
    const r = await fetch(`${t.url}/v2/conformance/pull/manifests/sha256:totallywrong`, {
      method: 'PUT', body: '{"schemaVersion":2}', headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(r.status, 400);
    assert.equal(await errorCode(r), 'DIGEST_INVALID');
  });

  it('a manifest GET counts as a pull; HEAD and a 304 do not', async () => {
    pulls.length = 0;
    await (await fetch(`${t.url}/v2/conformance/pull/manifests/tagtest0`, { method: 'HEAD' })).arrayBuffer();
    const nm = await fetch(`${t.url}/v2/conformance/pull/manifests/tagtest0`, { headers: { 'if-none-match': `"${a.digest}"` } });
    assert.equal(nm.status, 304);
    await (await fetch(`${t.url}/v2/conformance/pull/manifests/tagtest0`)).arrayBuffer();
    await (await fetch(`${t.url}/v2/conformance/pull/manifests/${b.digest}`)).arrayBuffer();
    assert.deepEqual(pulls, [
      { repository: 'conformance/pull', digest: a.digest, tag: 'tagtest0' },
      { repository: 'conformance/pull', digest: b.digest, tag: undefined },
    ]);
  });

  // Range cases of the v2 conformance suite (run.go): 206 with Content-Range, 416 when unsatisfiable.
  const ranges = [
    { name: 'bytes=500-1499', range: 'bytes=500-1499', start: 500, end: 1499 },
    { name: 'open-ended bytes=500-', range: 'bytes=500-', start: 500, end: 3999 },
    { name: 'suffix bytes=-500', range: 'bytes=-500', start: 3500, end: 3999 },
    { name: 'end clamped bytes=2000-5000', range: 'bytes=2000-5000', start: 2000, end: 3999 },
    { name: 'start after end bytes=500-0', range: 'bytes=500-0', status: 416 },
    { name: 'start beyond size bytes=5000-10000', range: 'bytes=5000-10000', status: 416 },
    { name: 'several ranges', range: 'bytes=0-0,1-1', status: 416 },
  ];
  for (const c of ranges) {
    it(`blob Range ${c.name}`, async () => {
      const r = await fetch(`${t.url}/v2/conformance/pull/blobs/${rangeDigest}`, { headers: { range: c.range } });
      if (c.status === 416) {
        assert.equal(r.status, 416);
        assert.equal(r.headers.get('content-range'), 'bytes */4000');
        await r.arrayBuffer();
        return;
      }
      assert.equal(r.status, 206);
      assert.equal(r.headers.get('content-range'), `bytes ${c.start}-${c.end}/4000`);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), rangeBlob.subarray(c.start, c.end! + 1));
    });
  }
});
