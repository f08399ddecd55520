import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContentIndex } from './content.js';
import { openRegistryDb } from './db.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;

function setup() {
  let clock = 1_700_000_000_000;
  const index = new ContentIndex(openRegistryDb(':memory:'), () => clock);
  return { index, tick: (ms = 1000) => { clock += ms; } };
}

test('migrations are idempotent over the shared database', () => {
  const db = openRegistryDb(':memory:');
  new ContentIndex(db);
  new ContentIndex(db);
  assert.deepEqual(db.prepare("SELECT version FROM schema_migrations WHERE component = 'content'").pluck().all(), [1]);
});

test('blobs are visible only in repositories they were linked into', () => {
  const { index } = setup();
  index.linkBlob('a/x', D('1'), 10);
  assert.equal(index.linkedBlobSize('a/x', D('1')), 10);
  assert.equal(index.linkedBlobSize('b/x', D('1')), undefined);
  assert.equal(index.unlinkBlob('a/x', D('1')), true);
  assert.equal(index.linkedBlobSize('a/x', D('1')), undefined);
  assert.equal(index.unlinkBlob('a/x', D('1')), false);
});

test('a tag moves to a manifest of another media type; artifacts report Harbor sizes and tags', () => {
  const { index, tick } = setup();
  index.putManifest('p/app', { digest: D('a'), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 500, refs: [
    { digest: D('c'), kind: 'blob', size: 100 }, { digest: D('1'), kind: 'blob', size: 1000 },
  ] }, ['latest']);
  tick();
  index.putManifest('p/app', { digest: D('b'), mediaType: 'application/vnd.oci.image.index.v1+json', size: 300, refs: [
    { digest: D('a'), kind: 'manifest', size: 500 },
  ] }, ['latest', 'multi']);
  assert.equal(index.getManifest('p/app', 'latest')?.mediaType, 'application/vnd.oci.image.index.v1+json');
  const arts = index.listArtifacts('p/app');
  assert.deepEqual(arts.map((a) => [a.digest, a.size, a.tags.map((t) => t.name)]), [
    [D('b'), 300 + 500 + 100 + 1000, ['latest', 'multi']],
    [D('a'), 500 + 100 + 1000, []],
  ]);
  assert.equal(index.getArtifact('p/app', 'multi')?.digest, D('b'));
  assert.deepEqual(index.listRepositories().map((r) => [r.name, r.artifactCount]), [['p/app', 2]]);
  assert.equal(index.deleteTag('p/app', 'multi'), true);
  assert.equal(index.deleteTag('p/app', 'multi'), false);
  assert.equal(index.deleteArtifact('p/app', D('b')), true);
  assert.equal(index.getManifest('p/app', 'latest'), undefined);
  assert.deepEqual(index.listTags('p/app', 10), []);
  assert.equal(index.deleteRepository('p/app'), true);
  assert.deepEqual(index.listRepositories(), []);
  assert.equal(index.listTags('p/app', 10), undefined);
});

test('catalog and tag pages are ordered byte-wise and start after last', () => {
  const { index } = setup();
  for (const r of ['b/x', 'a/x', 'c/x']) index.putManifest(r, { digest: D('a'), mediaType: 'm', size: 1, refs: [] }, ['v2', 'V1', 'v10']);
  assert.deepEqual(index.listCatalog(2), ['a/x', 'b/x']);
  assert.deepEqual(index.listCatalog(2, 'b/x'), ['c/x']);
  assert.deepEqual(index.listTags('a/x', 10), ['V1', 'v10', 'v2']);
  assert.deepEqual(index.listTags('a/x', 10, 'v10'), ['v2']);
});

test('referrers are the manifests of the same repository naming the subject', () => {
  const { index } = setup();
  index.putManifest('r', { digest: D('1'), mediaType: 'm', size: 1, subject: D('s'), artifactType: 'sig', refs: [] }, []);
  index.putManifest('r', { digest: D('2'), mediaType: 'm', size: 1, subject: D('s'), artifactType: 'sbom', annotations: { a: 'b' }, refs: [] }, []);
  index.putManifest('other', { digest: D('3'), mediaType: 'm', size: 1, subject: D('s'), artifactType: 'sig', refs: [] }, []);
  assert.deepEqual(index.referrers('r', D('s'), 10).map((m) => m.digest), [D('1'), D('2')]);
  assert.deepEqual(index.referrers('r', D('s'), 10, '', 'sbom').map((m) => [m.digest, m.annotations]), [[D('2'), { a: 'b' }]]);
  assert.deepEqual(index.referrers('r', D('s'), 1, D('1')).map((m) => m.digest), [D('2')]);
  assert.deepEqual(index.referrers('none', D('s'), 10), []);
});
