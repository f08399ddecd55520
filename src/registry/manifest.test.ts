import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRegistryError } from './errors.js';
import { MEDIA_TYPES, parseManifest } from './manifest.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;
const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D('c'), size: 10 };
const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('1'), size: 20 };

const enc = (o: unknown): Buffer => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o));

test('parseManifest rejects what the spec and CVE-2021-41190 forbid', () => {
  const cases: Array<{ name: string; body: unknown; ct?: string; message: RegExp }> = [
    { name: 'not JSON', body: '{nope', ct: MEDIA_TYPES.ociManifest, message: /not valid JSON/ },
    { name: 'an array', body: [], ct: MEDIA_TYPES.ociManifest, message: /JSON object/ },
    { name: 'schemaVersion 1', body: { schemaVersion: 1, config, layers: [] }, ct: MEDIA_TYPES.ociManifest, message: /schemaVersion/ },
    { name: 'mediaType differs from Content-Type', body: { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] }, ct: MEDIA_TYPES.ociManifest, message: /does not match/ },
    { name: 'both manifests and layers', body: { schemaVersion: 2, manifests: [], config, layers: [] }, ct: MEDIA_TYPES.ociIndex, message: /both/ },
    { name: 'schema1', body: { schemaVersion: 2 }, ct: 'application/vnd.docker.distribution.manifest.v1+prettyjws', message: /unsupported/ },
    { name: 'no media type anywhere', body: { schemaVersion: 2, config, layers: [] }, message: /unsupported/ },
    { name: 'negative size', body: { schemaVersion: 2, config: { ...config, size: -1 }, layers: [] }, ct: MEDIA_TYPES.ociManifest, message: /size/ },
    { name: 'huge size', body: { schemaVersion: 2, config: { ...config, size: 2 ** 60 }, layers: [] }, ct: MEDIA_TYPES.ociManifest, message: /size/ },
    { name: 'bad layer digest', body: { schemaVersion: 2, config, layers: [{ ...layer, digest: 'sha256:../../x' }] }, ct: MEDIA_TYPES.ociManifest, message: /digest/ },
    { name: 'layers missing', body: { schemaVersion: 2, config }, ct: MEDIA_TYPES.ociManifest, message: /layers/ },
    { name: 'annotation not a string', body: { schemaVersion: 2, config, layers: [], annotations: { a: 1 } }, ct: MEDIA_TYPES.ociManifest, message: /annotations/ },
  ];
  for (const c of cases) {
    assert.throws(() => parseManifest(enc(c.body), c.ct), (e: unknown) => isRegistryError(e, 'MANIFEST_INVALID') && c.message.test(e.message), c.name);
  }
});

test('parseManifest extracts what the index records', () => {
  const subject = { mediaType: MEDIA_TYPES.ociManifest, digest: D('5'), size: 99 };
  const m = parseManifest(enc({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config, subject, annotations: { k: 'v' },
    layers: [layer, { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: D('2'), size: 5 }],
  }), `${MEDIA_TYPES.ociManifest}; charset=utf-8`);
  assert.equal(m.kind, 'manifest');
  assert.equal(m.artifactType, config.mediaType);
  assert.equal(m.subject?.digest, subject.digest);
  assert.deepEqual(m.annotations, { k: 'v' });
  assert.deepEqual(m.blobs.map((b) => b.digest), [config.digest, layer.digest]);

  const idx = parseManifest(enc({ schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: D('7'), size: 3 }] }), MEDIA_TYPES.ociIndex);
  assert.equal(idx.kind, 'index');
  assert.equal(idx.mediaType, MEDIA_TYPES.ociIndex);
  assert.deepEqual(idx.manifests.map((x) => x.digest), [D('7')]);

  const docker = parseManifest(enc({ schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest, config, layers: [] }), undefined);
  assert.equal(docker.mediaType, MEDIA_TYPES.dockerManifest);
});
