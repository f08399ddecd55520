// Distribution-level attack and bad-input cases of reference/registry.md section 7 (items 1-7, 10,
// 15): each gets the spec's error, nothing is committed, nothing outside the repository leaks.
// Token, robot and cross-project cases belong to Harbor's tests.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { AccessController, Scope } from '../../src/registry/access.js';
import {
  abs, bytesOf, errorCode, makeImage, OCI_INDEX, OCI_MANIFEST, pushBlob, pushImage, putManifest, sha256, startTestRegistry, type TestRegistry,
} from './distribution-harness.js';

const HEX = 'a'.repeat(64);

/** A request with the path sent byte for byte (fetch would normalize `..`). */
function raw(base: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: opts.headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function code(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { errors?: Array<{ code: string }> }).errors?.[0]?.code;
  } catch {
    return undefined;
  }
}

describe('attacks: names, digests, tags, traversal', () => {
  let t: TestRegistry;
  before(async () => {
    t = await startTestRegistry();
    await pushImage(t.url, 'victim/repo', 'latest', makeImage('victim'));
  });
  after(async () => t.close());

  const names: Array<{ name: string; path: string; status: number; code: string }> = [
    { name: 'dot-dot name', path: '/v2/../x/tags/list', status: 400, code: 'NAME_INVALID' },
    { name: 'traversal inside the name', path: `/v2/a/../../b/blobs/sha256:${HEX}`, status: 400, code: 'NAME_INVALID' },
    { name: 'encoded dots', path: '/v2/%2e%2e/x/tags/list', status: 400, code: 'NAME_INVALID' },
    { name: 'encoded slash', path: '/v2/victim%2Frepo/tags/list', status: 400, code: 'NAME_INVALID' },
    { name: 'uppercase', path: '/v2/A/Upper/tags/list', status: 400, code: 'NAME_INVALID' },
    { name: 'empty component', path: '/v2/a//b/tags/list', status: 400, code: 'NAME_INVALID' },
    { name: 'triple underscore', path: '/v2/a___b/tags/list', status: 400, code: 'NAME_INVALID' },
    { name: 'double underscore is valid but unknown', path: '/v2/a__b/tags/list', status: 404, code: 'NAME_UNKNOWN' },
    { name: '256-character name', path: `/v2/${'a'.repeat(256)}/tags/list`, status: 400, code: 'NAME_INVALID' },
    { name: 'unicode', path: '/v2/caf%C3%A9/tags/list', status: 400, code: 'NAME_INVALID' },
    { name: 'NUL', path: '/v2/a%00b/tags/list', status: 400, code: 'NAME_INVALID' },
    { name: '_catalog component', path: '/v2/_catalog/x/tags/list', status: 400, code: 'NAME_INVALID' },
    { name: '_uploads component', path: `/v2/victim/_uploads/blobs/sha256:${HEX}`, status: 400, code: 'NAME_INVALID' },
    { name: 'manifest path with traversal', path: '/v2/victim/../../../etc/manifests/passwd', status: 400, code: 'NAME_INVALID' },
  ];
  for (const c of names) {
    it(`name: ${c.name} -> ${c.status} ${c.code}`, async () => {
      const r = await raw(t.url, 'GET', c.path);
      assert.equal(r.status, c.status);
      assert.equal(code(r.body), c.code);
    });
  }

  const digests: Array<{ name: string; digest: string }> = [
    { name: '63 hex', digest: `sha256:${'a'.repeat(63)}` },
    { name: '65 hex', digest: `sha256:${'a'.repeat(65)}` },
    { name: 'uppercase hex', digest: `sha256:${'A'.repeat(64)}` },
    { name: 'md5', digest: 'md5:d41d8cd98f00b204e9800998ecf8427e' },
    { name: 'sha512 with 64 hex', digest: `sha512:${HEX}` },
    { name: 'uppercase algorithm', digest: `SHA256:${HEX}` },
    { name: 'grammatical unknown algorithm', digest: `blake3:${HEX}` },
    { name: 'encoded traversal', digest: 'sha256:..%2f..%2fetc' },
  ];
  for (const c of digests) {
    it(`digest: ${c.name} -> 400 DIGEST_INVALID on blobs, manifests and uploads`, async () => {
      for (const [method, path] of [
        ['GET', `/v2/victim/repo/blobs/${c.digest}`],
        ['HEAD', `/v2/victim/repo/manifests/${c.digest}`],
        ['POST', `/v2/victim/repo/blobs/uploads/?digest=${c.digest}`],
        ['POST', `/v2/victim/repo/blobs/uploads/?mount=${c.digest}&from=victim/repo`],
      ]) {
        const r = await raw(t.url, method, path, { headers: { 'content-length': '0' } });
        assert.equal(r.status, 400, `${method} ${path}`);
        if (method !== 'HEAD') assert.equal(code(r.body), 'DIGEST_INVALID', `${method} ${path}`);
      }
    });
  }

  const tags: Array<{ name: string; tag: string; code: string }> = [
    { name: '129 characters', tag: 'a'.repeat(129), code: 'TAG_INVALID' },
    { name: 'leading dot', tag: '.hidden', code: 'TAG_INVALID' },
    { name: 'leading dash', tag: '-x', code: 'TAG_INVALID' },
    { name: 'at sign', tag: 'a@b', code: 'TAG_INVALID' },
    { name: 'colon', tag: 'a:b', code: 'DIGEST_INVALID' },
    { name: 'percent-encoded', tag: 'a%2fb', code: 'TAG_INVALID' },
  ];
  for (const c of tags) {
    it(`tag: ${c.name} -> 400 ${c.code}, nothing tagged`, async () => {
      const img = makeImage('victim');
      const r = await raw(t.url, 'PUT', `/v2/victim/repo/manifests/${c.tag}`, { body: img.manifest, headers: { 'content-type': img.mediaType } });
      assert.equal(r.status, 400);
      assert.equal(code(r.body), c.code);
      const list = await (await fetch(`${t.url}/v2/victim/repo/tags/list`)).json();
      assert.deepEqual(list, { name: 'victim/repo', tags: ['latest'] });
    });
  }

  it('upload ids that are not ours are 404 BLOB_UPLOAD_UNKNOWN, traversal included', async () => {
    for (const id of ['..%2f..%2fblobs', '00000000-0000-0000-0000-000000000000', 'not-a-uuid']) {
      const r = await raw(t.url, 'PATCH', `/v2/victim/repo/blobs/uploads/${id}`, { body: Buffer.from('x') });
      assert.equal(r.status, 404, id);
      assert.equal(code(r.body), 'BLOB_UPLOAD_UNKNOWN', id);
    }
  });
});

describe('attacks: uploads', () => {
  let t: TestRegistry;
  before(async () => { t = await startTestRegistry(); });
  after(async () => t.close());

  async function start(repo = 'up/repo'): Promise<string> {
    const r = await fetch(`${t.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    assert.equal(r.status, 202);
    return abs(t.url, r.headers.get('location'));
  }

  const ranges = [
    { name: 'bytes prefix', range: 'bytes 0-3' },
    { name: 'bytes= prefix', range: 'bytes=0-3' },
    { name: 'start after end', range: '3-0' },
    { name: 'gap at the start', range: '1-4' },
  ];
  for (const c of ranges) {
    it(`Content-Range ${c.name} is 416 and nothing is written`, async () => {
      const loc = await start();
      const r = await fetch(loc, { method: 'PATCH', body: 'abcd', headers: { 'content-range': c.range } });
      assert.equal(r.status, 416);
      assert.equal(await errorCode(r), 'RANGE_INVALID');
      const st = await fetch(loc);
      assert.equal(st.status, 204);
      assert.equal(st.headers.get('range'), '0-0');
    });
  }

  it('a chunk overlapping what was written is 416', async () => {
    const loc = await start();
    assert.equal((await fetch(loc, { method: 'PATCH', body: 'abcd', headers: { 'content-range': '0-3' } })).status, 202);
    const r = await fetch(loc, { method: 'PATCH', body: 'cdef', headers: { 'content-range': '2-5' } });
    assert.equal(r.status, 416);
  });

  it('PUT without ?digest= is 400 DIGEST_INVALID and the upload survives', async () => {
    const loc = await start();
    const r = await fetch(loc, { method: 'PUT', body: 'data' });
    assert.equal(r.status, 400);
    assert.equal(await errorCode(r), 'DIGEST_INVALID');
  });

  it('PATCH after completion is 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const loc = await start();
    assert.equal((await fetch(`${loc}?digest=${sha256('done')}`, { method: 'PUT', body: 'done' })).status, 201);
    const r = await fetch(loc, { method: 'PATCH', body: 'more' });
    assert.equal(r.status, 404);
    assert.equal(await errorCode(r), 'BLOB_UPLOAD_UNKNOWN');
  });

  it("an upload id used on another repository's path is 404", async () => {
    const loc = await start('owner/repo');
    const id = loc.split('/').pop();
    const r = await fetch(`${t.url}/v2/intruder/repo/blobs/uploads/${id}`, { method: 'PATCH', body: 'x' });
    assert.equal(r.status, 404);
    assert.equal(await errorCode(r), 'BLOB_UPLOAD_UNKNOWN');
    assert.equal((await fetch(loc)).status, 204);
  });

  it('a Content-Length different from the Content-Range span is refused (416)', async () => {
    const loc = await start();
    const r = await raw(t.url, 'PATCH', new URL(loc).pathname, { body: Buffer.from('abcd'), headers: { 'content-range': '0-9', 'content-length': '4' } });
    assert.equal(r.status, 416);
  });

  it('a wrong digest in a single POST commits nothing', async () => {
    const claimed = sha256('claimed');
    const r = await fetch(`${t.url}/v2/up/repo/blobs/uploads/?digest=${claimed}`, { method: 'POST', body: 'actual bytes' });
    assert.equal(r.status, 400);
    assert.equal(await errorCode(r), 'DIGEST_INVALID');
    for (const d of [claimed, sha256('actual bytes')]) assert.equal((await fetch(`${t.url}/v2/up/repo/blobs/${d}`, { method: 'HEAD' })).status, 404);
  });

  it('two concurrent uploads of the same blob both succeed and it is stored once', async () => {
    const blob = bytesOf('concurrent-same', 300_000);
    const [a, b] = await Promise.all([pushBlob(t.url, 'up/repo', blob), pushBlob(t.url, 'up/other', blob)]);
    assert.equal(a, b);
    for (const repo of ['up/repo', 'up/other']) {
      const r = await fetch(`${t.url}/v2/${repo}/blobs/${a}`);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), blob);
    }
  });

  it('a blob pushed to one repository is 404 in another', async () => {
    const d = await pushBlob(t.url, 'tenant-a/repo', bytesOf('tenant-a', 100));
    const r = await fetch(`${t.url}/v2/tenant-b/repo/blobs/${d}`);
    assert.equal(r.status, 404);
    assert.equal(await errorCode(r), 'BLOB_UNKNOWN');
    const m = await fetch(`${t.url}/v2/tenant-b/repo/blobs/uploads/?mount=${d}&from=tenant-c/repo`, { method: 'POST' });
    assert.equal(m.status, 202);
  });
});

describe('attacks: manifests', () => {
  let t: TestRegistry;
  before(async () => { t = await startTestRegistry(); });
  after(async () => t.close());
  const REPO = 'man/repo';

  async function config(): Promise<{ mediaType: string; digest: string; size: number }> {
    const c = Buffer.from('{"architecture":"amd64","os":"linux"}');
    await pushBlob(t.url, REPO, c);
    return { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(c), size: c.length };
  }

  it('a manifest over 4 MiB is 413 and not stored; exactly 4 MiB is accepted', async () => {
    const cfg = await config();
    const build = (size: number): Buffer => {
      const base = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: cfg, layers: [], annotations: { pad: '' } });
      return Buffer.from(base.replace('"pad":""', `"pad":"${'x'.repeat(size - base.length)}"`));
    };
    const big = build(4 * 1024 * 1024 + 1);
    const r = await putManifest(t.url, REPO, 'big', big, OCI_MANIFEST);
    assert.equal(r.status, 413);
    assert.equal(await errorCode(r), 'MANIFEST_INVALID');
    assert.equal((await fetch(`${t.url}/v2/${REPO}/manifests/${sha256(big)}`, { method: 'HEAD' })).status, 404);
    const exact = build(4 * 1024 * 1024);
    const ok = await putManifest(t.url, REPO, 'large', exact, OCI_MANIFEST);
    assert.equal(ok.status, 201, await ok.text());
  });

  it('a declared Content-Length over the limit is 413 before any body is read', async () => {
    const r = await raw(t.url, 'PUT', `/v2/${REPO}/manifests/declared`, { headers: { 'content-type': OCI_MANIFEST, 'content-length': String(64 * 1024 * 1024) }, body: Buffer.alloc(0) })
      .catch((e: Error) => ({ status: -1, headers: {}, body: e.message }));
    assert.equal(r.status, 413);
  });

  const bad = [
    { name: 'invalid JSON', body: () => '{"schemaVersion":2,', ct: OCI_MANIFEST, code: 'MANIFEST_INVALID' },
    { name: 'schemaVersion 1', body: async () => JSON.stringify({ schemaVersion: 1, mediaType: OCI_MANIFEST, config: await config(), layers: [] }), ct: OCI_MANIFEST, code: 'MANIFEST_INVALID' },
    { name: 'mediaType differs from Content-Type', body: () => JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }), ct: OCI_MANIFEST, code: 'MANIFEST_INVALID' },
    { name: 'both manifests and layers (CVE-2021-41190)', body: async () => JSON.stringify({ schemaVersion: 2, config: await config(), layers: [], manifests: [] }), ct: OCI_INDEX, code: 'MANIFEST_INVALID' },
    { name: 'negative descriptor size', body: async () => JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...(await config()), size: -5 }, layers: [] }), ct: OCI_MANIFEST, code: 'MANIFEST_INVALID' },
    { name: 'schema1 media type', body: () => JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }), ct: 'application/vnd.docker.distribution.manifest.v1+prettyjws', code: 'MANIFEST_INVALID' },
    { name: 'missing layer', body: async () => JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: await config(), layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256('never pushed'), size: 12 }] }), ct: OCI_MANIFEST, code: 'MANIFEST_BLOB_UNKNOWN' },
  ];
  for (const c of bad) {
    it(`${c.name} -> 400 ${c.code}, nothing tagged`, async () => {
      const body = await c.body();
      const r = await putManifest(t.url, REPO, 'bad', Buffer.from(body), c.ct);
      assert.equal(r.status, 400);
      assert.equal(await errorCode(r), c.code);
      assert.equal((await fetch(`${t.url}/v2/${REPO}/manifests/bad`, { method: 'HEAD' })).status, 404);
    });
  }

  it('PUT by digest whose body hashes differently is 400 DIGEST_INVALID', async () => {
    const img = makeImage('by-digest');
    await pushImage(t.url, REPO, 'x', img);
    const r = await putManifest(t.url, REPO, sha256('another document'), img.manifest, img.mediaType);
    assert.equal(r.status, 400);
    assert.equal(await errorCode(r), 'DIGEST_INVALID');
  });

  it('concurrent PUTs of one tag: last writer wins and tag, digest and bytes agree', async () => {
    const imgs = Array.from({ length: 8 }, (_, i) => makeImage(`race-${i}`));
    for (const img of imgs) await pushImage(t.url, REPO, img.digest, img);
    const rs = await Promise.all(imgs.map((img) => putManifest(t.url, REPO, 'race', img.manifest, img.mediaType)));
    for (const r of rs) assert.equal(r.status, 201);
    const get = await fetch(`${t.url}/v2/${REPO}/manifests/race`);
    const bytes = Buffer.from(await get.arrayBuffer());
    assert.equal(get.headers.get('docker-content-digest'), sha256(bytes));
    assert.ok(imgs.some((i) => i.digest === sha256(bytes)));
  });
});

describe('attacks: pagination and headers', () => {
  let t: TestRegistry;
  before(async () => {
    t = await startTestRegistry();
    const img = makeImage('pages');
    await pushImage(t.url, 'page/repo', 'v0', img);
    for (let i = 1; i < 5; i++) assert.equal((await putManifest(t.url, 'page/repo', `v${i}`, img.manifest, img.mediaType)).status, 201);
  });
  after(async () => t.close());

  const cases = [
    { name: '_catalog n=99999999999', path: '/v2/_catalog?n=99999999999', status: 400, code: 'PAGINATION_NUMBER_INVALID' },
    { name: '_catalog n over the cap', path: '/v2/_catalog?n=1001', status: 400, code: 'PAGINATION_NUMBER_INVALID' },
    { name: '_catalog n=-1', path: '/v2/_catalog?n=-1', status: 400, code: 'PAGINATION_NUMBER_INVALID' },
    { name: 'tags n=-1', path: '/v2/page/repo/tags/list?n=-1', status: 400, code: 'PAGINATION_NUMBER_INVALID' },
    { name: 'tags n=abc', path: '/v2/page/repo/tags/list?n=abc', status: 400, code: 'PAGINATION_NUMBER_INVALID' },
    { name: 'tags n=1e3', path: '/v2/page/repo/tags/list?n=1e3', status: 400, code: 'PAGINATION_NUMBER_INVALID' },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.status} ${c.code}`, async () => {
      const r = await fetch(`${t.url}${c.path}`);
      assert.equal(r.status, c.status);
      assert.equal(await errorCode(r), c.code);
    });
  }

  it('tags n far beyond the cap is clamped, not allocated', async () => {
    const r = await fetch(`${t.url}/v2/page/repo/tags/list?n=9999999999`);
    assert.equal(r.status, 200);
    assert.deepEqual(((await r.json()) as { tags: string[] }).tags, ['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('a last= longer than any tag is answered, empty', async () => {
    const r = await fetch(`${t.url}/v2/page/repo/tags/list?last=${'z'.repeat(300)}`);
    assert.equal(r.status, 200);
    assert.deepEqual(((await r.json()) as { tags: string[] }).tags, []);
  });

  it('no CORS headers on /v2/, and the API version header on errors too', async () => {
    const r = await fetch(`${t.url}/v2/page/repo/manifests/missing`, { headers: { origin: 'https://evil.example' } });
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('access-control-allow-origin'), null);
    assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  it('an unsupported method is 405 UNSUPPORTED', async () => {
    const r = await fetch(`${t.url}/v2/page/repo/tags/list`, { method: 'DELETE' });
    assert.equal(r.status, 405);
    assert.equal(await errorCode(r), 'UNSUPPORTED');
  });
});

describe('attacks: authorization is asked for exactly what each request needs', () => {
  let t: TestRegistry;
  let asked: Scope[][] = [];
  let deny: 401 | 403 | undefined;
  const access: AccessController = {
    async authorize(_req, required) {
      asked.push(required);
      if (deny === 401) return { ok: false, status: 401, code: 'UNAUTHORIZED', message: 'authentication required', challenge: 'Bearer realm="https://auth.test/token",service="berth",scope="x"' };
      if (deny === 403) return { ok: false, status: 403, code: 'DENIED', message: 'requested access to the resource is denied' };
      return { ok: true, principal: { kind: 'user', name: 'u' }, granted: required };
    },
  };
  before(async () => { t = await startTestRegistry({ access }); });
  after(async () => t.close());

  const D = `sha256:${HEX}`;
  const repo = (name: string, ...actions: string[]): Scope => ({ type: 'repository', name, actions: actions as Scope['actions'] });
  const cases: Array<{ name: string; method: string; path: string; want: Scope[] }> = [
    { name: 'ping', method: 'GET', path: '/v2/', want: [] },
    { name: 'catalog', method: 'GET', path: '/v2/_catalog', want: [{ type: 'registry', name: 'catalog', actions: ['*'] }] },
    { name: 'manifest GET', method: 'GET', path: '/v2/p/r/manifests/latest', want: [repo('p/r', 'pull')] },
    { name: 'manifest HEAD', method: 'HEAD', path: '/v2/p/r/manifests/latest', want: [repo('p/r', 'pull')] },
    { name: 'manifest PUT', method: 'PUT', path: '/v2/p/r/manifests/latest', want: [repo('p/r', 'push')] },
    { name: 'manifest DELETE', method: 'DELETE', path: `/v2/p/r/manifests/${D}`, want: [repo('p/r', 'delete')] },
    { name: 'blob GET', method: 'GET', path: `/v2/p/r/blobs/${D}`, want: [repo('p/r', 'pull')] },
    { name: 'blob DELETE', method: 'DELETE', path: `/v2/p/r/blobs/${D}`, want: [repo('p/r', 'delete')] },
    { name: 'upload POST', method: 'POST', path: '/v2/p/r/blobs/uploads/', want: [repo('p/r', 'push')] },
    { name: 'mount POST', method: 'POST', path: `/v2/p/r/blobs/uploads/?mount=${D}&from=q/s`, want: [repo('p/r', 'push'), repo('q/s', 'pull')] },
    { name: 'upload PATCH', method: 'PATCH', path: '/v2/p/r/blobs/uploads/00000000-0000-0000-0000-000000000000', want: [repo('p/r', 'push')] },
    { name: 'tags list', method: 'GET', path: '/v2/p/r/tags/list', want: [repo('p/r', 'pull')] },
    { name: 'referrers', method: 'GET', path: `/v2/p/r/referrers/${D}`, want: [repo('p/r', 'pull')] },
  ];
  for (const c of cases) {
    it(`${c.name}: asks ${JSON.stringify(c.want)}; 401 carries the challenge, 403 is DENIED`, async () => {
      deny = undefined;
      asked = [];
      await raw(t.url, c.method, c.path, { headers: { 'content-length': '0' } });
      assert.deepEqual(asked[0], c.want);
      deny = 401;
      const r401 = await raw(t.url, c.method, c.path, { headers: { 'content-length': '0' } });
      assert.equal(r401.status, 401);
      assert.equal(r401.headers['www-authenticate'], 'Bearer realm="https://auth.test/token",service="berth",scope="x"');
      assert.equal(r401.headers['docker-distribution-api-version'], 'registry/2.0');
      if (c.method !== 'HEAD') assert.equal(code(r401.body), 'UNAUTHORIZED');
      deny = 403;
      const r403 = await raw(t.url, c.method, c.path, { headers: { 'content-length': '0' } });
      assert.equal(r403.status, 403);
      if (c.method !== 'HEAD') assert.equal(code(r403.body), 'DENIED');
    });
  }

  it('a denied manifest PUT stores nothing', async () => {
    deny = undefined;
    const img = makeImage('denied');
    await pushBlob(t.url, 'p/r', img.config);
    await pushBlob(t.url, 'p/r', img.layers[0]);
    deny = 403;
    assert.equal((await putManifest(t.url, 'p/r', 'latest', img.manifest, img.mediaType)).status, 403);
    deny = undefined;
    assert.equal((await fetch(`${t.url}/v2/p/r/manifests/latest`, { method: 'HEAD' })).status, 404);
  });
});
