// Pull counts as Harbor counts them (reference 4.3; harbor src/server/registry/manifest.go): a
// successful manifest GET counts one on the repository and stamps pull_time on the artifact
// (and the tag pulled by); HEAD, 304 and failed GETs do not count.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { admin, api, getToken, pushImageAs, startHarbor, type HarborTest } from './harbor-harness.js';
import type { TestImage } from './distribution-harness.js';

let t: HarborTest;
let img: TestImage;
const ACCEPT = 'application/vnd.oci.image.manifest.v1+json';
const NEVER = '0001-01-01T00:00:00.000Z';

before(async () => {
  t = await startHarbor();
  img = await pushImageAs(t, 'library/counted', 'v1', admin());
  await pushImageAs(t, 'library/other', 'v1', admin());
});
after(() => t.close());

async function repo(name: string): Promise<any> {
  const r = await api(t, 'GET', `/projects/library/repositories/${name}`);
  assert.equal(r.status, 200);
  return r.body;
}

/** Polls the API until the repository's pull_count equals `want`, for at most 2 s (the contract). */
async function expectCount(name: string, want: number): Promise<void> {
  const deadline = Date.now() + 2000;
  let got = -1;
  while (Date.now() < deadline) {
    got = (await repo(name)).pull_count;
    if (got === want) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(got, want, `pull_count of ${name}`);
}

test('only successful manifest GETs count, per repository', async () => {
  const tok = (await getToken(t, ['repository:library/counted:pull'])).body.token;
  const auth = { authorization: `Bearer ${tok}`, accept: ACCEPT };
  const before0 = await api(t, 'GET', '/projects/library/repositories/counted/artifacts/v1');
  assert.equal(before0.body.pull_time, NEVER, 'never pulled');
  assert.equal(before0.body.tags[0].pull_time, NEVER);

  const steps: Array<{ name: string; req: () => Promise<Response>; status: number; count: number }> = [
    { name: 'GET by tag counts', req: () => fetch(`${t.url}/v2/library/counted/manifests/v1`, { headers: auth }), status: 200, count: 1 },
    { name: 'HEAD does not count', req: () => fetch(`${t.url}/v2/library/counted/manifests/v1`, { method: 'HEAD', headers: auth }), status: 200, count: 1 },
    { name: 'GET 304 does not count', req: () => fetch(`${t.url}/v2/library/counted/manifests/v1`, { headers: { ...auth, 'if-none-match': `"${img.digest}"` } }), status: 304, count: 1 },
    { name: 'GET by digest counts', req: () => fetch(`${t.url}/v2/library/counted/manifests/${img.digest}`, { headers: auth }), status: 200, count: 2 },
    { name: 'GET of an unknown tag does not count', req: () => fetch(`${t.url}/v2/library/counted/manifests/nope`, { headers: auth }), status: 404, count: 2 },
    { name: 'GET without credentials (401) does not count', req: () => fetch(`${t.url}/v2/library/counted/manifests/v1`), status: 401, count: 2 },
    { name: 'GET with Basic counts', req: () => fetch(`${t.url}/v2/library/counted/manifests/v1`, { headers: { authorization: admin(), accept: ACCEPT } }), status: 200, count: 3 },
  ];
  for (const s of steps) {
    const r = await s.req();
    await r.arrayBuffer();
    assert.equal(r.status, s.status, s.name);
    await expectCount('counted', s.count);
  }
  await expectCount('other', 0);

  const art = await api(t, 'GET', '/projects/library/repositories/counted/artifacts/v1');
  assert.notEqual(art.body.pull_time, NEVER);
  assert.ok(Date.parse(art.body.pull_time) >= Date.parse(art.body.push_time));
  assert.notEqual(art.body.tags[0].pull_time, NEVER);
});

test('N pulls show N, as Harbor would', async () => {
  const N = 7;
  const start = (await repo('other')).pull_count;
  await Promise.all(Array.from({ length: N }, async () => {
    const r = await fetch(`${t.url}/v2/library/other/manifests/v1`, { headers: { authorization: admin(), accept: ACCEPT } });
    await r.arrayBuffer();
    assert.equal(r.status, 200);
  }));
  await expectCount('other', start + N);
  const list = await api(t, 'GET', '/projects/library/repositories');
  assert.equal(list.body.find((r: any) => r.name === 'library/other').pull_count, start + N);
});

test('push and pull land in the audit log', async () => {
  const r = await api(t, 'GET', '/audit-logs?page_size=100', { auth: admin() });
  assert.equal(r.status, 200);
  const ops = r.body.map((e: any) => `${e.operation} ${e.resource}`);
  assert.ok(ops.includes('create library/counted:v1'), ops.join('\n'));
  assert.ok(ops.includes('pull library/counted:v1'));
  assert.equal((await api(t, 'GET', '/audit-logs')).status, 401);
});
