// OCI distribution-spec conformance, "Content discovery" workflow (conformance/03_discovery_test.go
// @v1.1.1: tags list with n/last, referrers with artifactType filtering), plus `_catalog` paging.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorCode, makeImage, OCI_INDEX, OCI_MANIFEST, pushImage, sha256, startTestRegistry, type TestImage, type TestRegistry } from './distribution-harness.js';

const REPO = 'conformance/discovery';
const TAGS = ['latest', 'v1', 'v2', 'v10', 'Alpha', 'beta'];

describe('conformance: content discovery', () => {
  let t: TestRegistry;
  let subject: TestImage;
  let sbom: TestImage;
  let sig: TestImage;
  before(async () => {
    t = await startTestRegistry();
    subject = makeImage('disc-subject');
    await pushImage(t.url, REPO, 'latest', subject);
    for (const tag of TAGS.slice(1)) {
      const r = await fetch(`${t.url}/v2/${REPO}/manifests/${tag}`, { method: 'PUT', body: subject.manifest, headers: { 'content-type': subject.mediaType } });
      assert.equal(r.status, 201);
    }
    const desc = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.manifest.length };
    sbom = makeImage('disc-sbom', { subject: desc, artifactType: 'application/vnd.example.sbom', annotations: { 'org.example.kind': 'sbom' } });
    sig = makeImage('disc-sig', { subject: desc, artifactType: 'application/vnd.example.signature' });
    await pushImage(t.url, REPO, sbom.digest, sbom);
    await pushImage(t.url, REPO, sig.digest, sig);
    for (const r of ['discovery/a', 'discovery/b', 'discovery/c']) await pushImage(t.url, r, 'x', makeImage(r));
  });
  after(async () => t.close());

  it('tags/list returns every tag in byte order', async () => {
    const r = await fetch(`${t.url}/v2/${REPO}/tags/list`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { name: REPO, tags: [...TAGS].sort() });
  });

  const pages = [
    { name: 'n=2 gives the first two and a Link to the rest', q: '?n=2', tags: ['Alpha', 'beta'], link: `</v2/${REPO}/tags/list?n=2&last=beta>; rel="next"` },
    { name: 'n=2&last=beta continues strictly after beta', q: '?n=2&last=beta', tags: ['latest', 'v1'], link: `</v2/${REPO}/tags/list?n=2&last=v1>; rel="next"` },
    { name: 'the last page has no Link', q: '?n=5&last=v1', tags: ['v10', 'v2'], link: null },
    { name: 'n=0 is an empty list without Link', q: '?n=0', tags: [], link: null },
    { name: 'last past the end is empty', q: '?last=zzz', tags: [], link: null },
  ];
  for (const p of pages) {
    it(`tags/list ${p.name}`, async () => {
      const r = await fetch(`${t.url}/v2/${REPO}/tags/list${p.q}`);
      assert.equal(r.status, 200);
      assert.deepEqual(((await r.json()) as { tags: string[] }).tags, p.tags);
      assert.equal(r.headers.get('link'), p.link);
    });
  }

  it('tags/list of an unknown repository is 404 NAME_UNKNOWN', async () => {
    const r = await fetch(`${t.url}/v2/no/such/repo/tags/list`);
    assert.equal(r.status, 404);
    assert.equal(await errorCode(r), 'NAME_UNKNOWN');
  });

  it('referrers of a digest with none is an empty index (200)', async () => {
    const r = await fetch(`${t.url}/v2/${REPO}/referrers/${sha256('nothing refers to me')}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), OCI_INDEX);
    assert.deepEqual(await r.json(), { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
  });

  it('referrers list every manifest whose subject is the digest, with artifactType and annotations', async () => {
    const r = await fetch(`${t.url}/v2/${REPO}/referrers/${subject.digest}`);
    assert.equal(r.status, 200);
    const idx = (await r.json()) as { manifests: Array<Record<string, unknown>> };
    const want = [
      { mediaType: OCI_MANIFEST, digest: sbom.digest, size: sbom.manifest.length, artifactType: 'application/vnd.example.sbom', annotations: { 'org.example.kind': 'sbom' } },
      { mediaType: OCI_MANIFEST, digest: sig.digest, size: sig.manifest.length, artifactType: 'application/vnd.example.signature' },
    ].sort((a, b) => (a.digest < b.digest ? -1 : 1));
    assert.deepEqual(idx.manifests, want);
    assert.equal(r.headers.get('oci-filters-applied'), null);
  });

  it('referrers filtered by artifactType say so in OCI-Filters-Applied', async () => {
    const r = await fetch(`${t.url}/v2/${REPO}/referrers/${subject.digest}?artifactType=${encodeURIComponent('application/vnd.example.signature')}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('oci-filters-applied'), 'artifactType');
    const idx = (await r.json()) as { manifests: Array<{ digest: string }> };
    assert.deepEqual(idx.manifests.map((m) => m.digest), [sig.digest]);
  });

  it('referrers with a malformed digest is 400 DIGEST_INVALID', async () => {
    const r = await fetch(`${t.url}/v2/${REPO}/referrers/sha256:nothex`);
    assert.equal(r.status, 400);
    assert.equal(await errorCode(r), 'DIGEST_INVALID');
  });

  it('_catalog pages with n/last and Link', async () => {
    const r1 = await fetch(`${t.url}/v2/_catalog?n=2`);
    assert.equal(r1.status, 200);
    assert.deepEqual(await r1.json(), { repositories: ['conformance/discovery', 'discovery/a'] });
    assert.equal(r1.headers.get('link'), '</v2/_catalog?n=2&last=discovery%2Fa>; rel="next"');
    const r2 = await fetch(`${t.url}/v2/_catalog?n=2&last=discovery%2Fa`);
    assert.deepEqual(await r2.json(), { repositories: ['discovery/b', 'discovery/c'] });
    assert.equal(r2.headers.get('link'), null);
  });
});
