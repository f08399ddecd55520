// List, watch, Table and discovery answers of the API server core, over HTTPS.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { BACKENDS, startCoreServer, type CoreServer, eventually } from './core-fixtures.js';

const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const AGGREGATED_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

/** Collects watch events from a stream. */
async function openWatch(s: CoreServer, path: string, headers: Record<string, string> = {}) {
  const events: any[] = [];
  const w = await s.api.stream(path, (line) => events.push(JSON.parse(line)), headers);
  return {
    events, status: w.status, ended: w.ended, close: w.close,
    async waitFor(n: number) { return eventually(() => (events.length >= n ? events.slice(0, n) : undefined)); },
  };
}

for (const backend of BACKENDS) describe(`API server core: list, watch, Table, discovery (${backend.name})`, () => {
  let s: CoreServer;
  before(async () => {
    s = await startCoreServer({ bookmarkIntervalMs: 100, backend });
    await s.api.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'paging' } } });
    for (let i = 0; i < 7; i++) {
      const r = await s.api.request('POST', '/api/v1/namespaces/paging/configmaps', { body: { metadata: { name: `cm-${i}`, labels: { n: String(i % 2) } } } });
      assert.equal(r.status, 201);
    }
  });
  after(async () => { await s?.stop(); });

  it('pages with limit/continue at one resourceVersion, while writes go on', async () => {
    const names: string[] = [];
    let token = '';
    let rv = '';
    let pages = 0;
    do {
      const r = await s.api.request('GET', `/api/v1/namespaces/paging/configmaps?limit=3${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      assert.equal(r.status, 200);
      assert.equal(r.json.kind, 'ConfigMapList');
      if (!rv) rv = r.json.metadata.resourceVersion;
      assert.equal(r.json.metadata.resourceVersion, rv, 'every page carries the first page\'s resourceVersion');
      names.push(...r.json.items.map((i: any) => i.metadata.name));
      token = r.json.metadata.continue ?? '';
      pages++;
      if (pages === 1) await s.api.request('POST', '/api/v1/namespaces/paging/configmaps', { body: { metadata: { name: 'cm-late' } } });
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(names, ['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6', 'kube-root-ca.crt']);
    await s.api.request('DELETE', '/api/v1/namespaces/paging/configmaps/cm-late');
  });

  it('reads large collections in storage pages: all 1200 objects without limit, 700 with limit=700', async () => {
    await s.api.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'many' } } });
    const reg = s.server.registry;
    const h = reg.handler('', 'v1', 'configmaps')!;
    const call = { user: { name: 'test', groups: [] }, warn: () => undefined };
    for (let i = 0; i < 1200; i++) await reg.create(h, 'many', { metadata: { name: `m-${String(i).padStart(4, '0')}` } }, call);
    const all = await s.api.request('GET', '/api/v1/namespaces/many/configmaps');
    assert.equal(all.json.items.length, 1201);
    assert.equal(all.json.metadata.continue, undefined);
    const page = await s.api.request('GET', '/api/v1/namespaces/many/configmaps?limit=700');
    assert.equal(page.json.items.length, 700);
    assert.equal(page.json.items[699].metadata.name, 'm-0698', 'kube-root-ca.crt sorts first');
    const rest = await s.api.request('GET', `/api/v1/namespaces/many/configmaps?limit=700&continue=${encodeURIComponent(page.json.metadata.continue)}`);
    assert.equal(rest.json.items.length, 501);
    assert.equal(rest.json.metadata.continue, undefined);
  });

  it('applies limit after the selector', async () => {
    const r = await s.api.request('GET', '/api/v1/namespaces/paging/configmaps?limit=2&labelSelector=n%3D1');
    assert.deepEqual(r.json.items.map((i: any) => i.metadata.name), ['cm-1', 'cm-3']);
    assert.ok(r.json.metadata.continue);
    const next = await s.api.request('GET', `/api/v1/namespaces/paging/configmaps?limit=2&labelSelector=n%3D1&continue=${encodeURIComponent(r.json.metadata.continue)}`);
    assert.deepEqual(next.json.items.map((i: any) => i.metadata.name), ['cm-5']);
    assert.equal(next.json.metadata.continue, undefined);
  });

  it('Table: upstream shape, PartialObjectMetadata rows by default, includeObject=Object and None', async () => {
    const r = await s.api.request('GET', '/api/v1/namespaces/paging/configmaps?limit=500', { headers: { accept: TABLE_ACCEPT } });
    assert.equal(r.headers['content-type'], 'application/json;as=Table;v=v1;g=meta.k8s.io');
    assert.equal(r.json.kind, 'Table');
    assert.equal(r.json.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(r.json.columnDefinitions.map((c: any) => c.name), ['Name', 'Age']);
    assert.deepEqual(r.json.rows[0].cells, ['cm-0', 'age']);
    assert.equal(r.json.rows[0].object.kind, 'PartialObjectMetadata');
    assert.deepEqual(r.json.rows[0].object.metadata.labels, { n: '0' });
    assert.match(r.json.metadata.resourceVersion, /^\d+$/);
    const full = await s.api.request('GET', '/api/v1/namespaces/paging/configmaps?includeObject=Object', { headers: { accept: TABLE_ACCEPT } });
    assert.equal(full.json.rows[0].object.kind, 'ConfigMap');
    const none = await s.api.request('GET', '/api/v1/namespaces/paging/configmaps?includeObject=None', { headers: { accept: TABLE_ACCEPT } });
    assert.equal(none.json.rows[0].object, undefined);
    const one = await s.api.request('GET', '/api/v1/namespaces/paging/configmaps/cm-2', { headers: { accept: TABLE_ACCEPT } });
    assert.equal(one.json.rows.length, 1);
    assert.equal(one.json.rows[0].cells[0], 'cm-2');
    const bad = await s.api.request('GET', '/api/v1/namespaces/paging/configmaps?includeObject=All', { headers: { accept: TABLE_ACCEPT } });
    assert.equal(bad.status, 400);
  });

  it('watch from resourceVersion 0: initial ADDED, then changes; Table events carry columns once', async () => {
    const w = await openWatch(s, '/api/v1/namespaces/paging/configmaps?watch=true&resourceVersion=0&labelSelector=n%3D0', { accept: TABLE_ACCEPT });
    assert.equal(w.status, 200);
    const initial = await w.waitFor(4);
    assert.deepEqual(initial.map((e) => e.type), ['ADDED', 'ADDED', 'ADDED', 'ADDED']);
    assert.equal(initial[0].object.kind, 'Table');
    assert.equal(initial[0].object.columnDefinitions.length, 2);
    assert.equal(initial[1].object.columnDefinitions, null);
    await s.api.request('PATCH', '/api/v1/namespaces/paging/configmaps/cm-0', { body: { data: { x: '1' } }, headers: { 'content-type': 'application/merge-patch+json' } });
    const ev = (await w.waitFor(5))[4];
    assert.equal(ev.type, 'MODIFIED');
    assert.deepEqual(ev.object.rows[0].cells, ['cm-0', 'age']);
    w.close();
  });

  it('watch resumes from a resourceVersion and follows selector transitions', async () => {
    const start = await s.api.request('GET', '/api/v1/namespaces/paging/configmaps');
    const rv = start.json.metadata.resourceVersion;
    await s.api.request('PATCH', '/api/v1/namespaces/paging/configmaps/cm-4', { body: { metadata: { labels: { n: 'out' } } }, headers: { 'content-type': 'application/merge-patch+json' } });
    await s.api.request('PATCH', '/api/v1/namespaces/paging/configmaps/cm-4', { body: { data: { hidden: '1' } }, headers: { 'content-type': 'application/merge-patch+json' } });
    await s.api.request('PATCH', '/api/v1/namespaces/paging/configmaps/cm-4', { body: { metadata: { labels: { n: '0' } } }, headers: { 'content-type': 'application/merge-patch+json' } });
    const w = await openWatch(s, `/api/v1/namespaces/paging/configmaps?watch=1&resourceVersion=${rv}&labelSelector=n%3D0`);
    const evs = await w.waitFor(2);
    assert.deepEqual(evs.map((e) => [e.type, e.object.metadata.name]), [['DELETED', 'cm-4'], ['ADDED', 'cm-4']]);
    assert.ok(Number(evs[0].object.metadata.resourceVersion) > Number(rv));
    await s.api.request('DELETE', '/api/v1/namespaces/paging/configmaps/cm-4');
    const del = (await w.waitFor(3))[2];
    assert.equal(del.type, 'DELETED');
    assert.equal(del.object.kind, 'ConfigMap');
    w.close();
  });

  it('a single-object watch path and the /watch/ prefix filter by name', async () => {
    const w = await openWatch(s, '/api/v1/watch/namespaces/paging/configmaps/cm-6');
    const first = await w.waitFor(1);
    assert.deepEqual(first.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'cm-6']]);
    await s.api.request('PATCH', '/api/v1/namespaces/paging/configmaps/cm-5', { body: { data: { y: '1' } }, headers: { 'content-type': 'application/merge-patch+json' } });
    await s.api.request('PATCH', '/api/v1/namespaces/paging/configmaps/cm-6', { body: { data: { y: '1' } }, headers: { 'content-type': 'application/merge-patch+json' } });
    const evs = await w.waitFor(2);
    assert.deepEqual(evs.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'cm-6'], ['MODIFIED', 'cm-6']]);
    w.close();
  });

  it('sends BOOKMARK events when allowed, and ends at timeoutSeconds', async () => {
    const list = await s.api.request('GET', '/api/v1/namespaces/paging/configmaps');
    const rv = list.json.metadata.resourceVersion;
    const w = await openWatch(s, `/api/v1/namespaces/paging/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}&timeoutSeconds=1`);
    const [b] = await w.waitFor(1);
    assert.equal(b.type, 'BOOKMARK');
    assert.equal(b.object.kind, 'ConfigMap');
    assert.equal(b.object.metadata.resourceVersion, rv);
    await w.ended;
  });

  it('sendInitialEvents ends the initial ADDED events with an initial-events-end BOOKMARK', async () => {
    const w = await openWatch(s, '/api/v1/namespaces/paging/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&labelSelector=n%3D1');
    const evs = await w.waitFor(4);
    assert.deepEqual(evs.map((e) => e.type), ['ADDED', 'ADDED', 'ADDED', 'BOOKMARK']);
    assert.equal(evs[3].object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    w.close();
  });

  it('after compaction: a watch gets an ERROR 410 event and an old continue token a 410', async () => {
    const first = await s.api.request('GET', '/api/v1/namespaces/paging/configmaps?limit=2');
    const old = first.json.metadata.resourceVersion;
    await s.api.request('POST', '/api/v1/namespaces/paging/configmaps', { body: { metadata: { name: 'after' } } });
    const now = await s.store.currentRevision();
    await s.store.compact(now);
    const w = await openWatch(s, `/api/v1/namespaces/paging/configmaps?watch=1&resourceVersion=${old}`);
    const [e] = await w.waitFor(1);
    assert.equal(e.type, 'ERROR');
    assert.equal(e.object.code, 410);
    assert.equal(e.object.reason, 'Expired');
    assert.equal(e.object.message, `too old resource version: ${old} (${now})`);
    await w.ended;
    const c = await s.api.request('GET', `/api/v1/namespaces/paging/configmaps?limit=2&continue=${encodeURIComponent(first.json.metadata.continue)}`);
    assert.equal(c.status, 410);
    assert.equal(c.json.reason, 'Expired');
    assert.match(c.json.message, /^The provided continue parameter is too old to display a consistent list result/);
    assert.ok(c.json.metadata.continue, 'a fresh inconsistent continue token comes along');
    const relist = await s.api.request('GET', `/api/v1/namespaces/paging/configmaps?limit=2&continue=${encodeURIComponent(c.json.metadata.continue)}`);
    assert.equal(relist.status, 200);
  });

  it('aggregated discovery with the exact Content-Type, legacy documents, ETag 304', async () => {
    const api = await s.api.request('GET', '/api', { headers: { accept: AGGREGATED_ACCEPT } });
    assert.equal(api.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    assert.equal(api.json.kind, 'APIGroupDiscoveryList');
    const core = api.json.items[0];
    assert.deepEqual(core.metadata, {});
    const pods = core.versions[0].resources.find((r: any) => r.resource === 'pods');
    assert.deepEqual(pods.responseKind, { group: '', version: 'v1', kind: 'Pod' });
    assert.equal(pods.scope, 'Namespaced');
    assert.deepEqual(pods.shortNames, ['po']);
    assert.deepEqual(pods.subresources.find((x: any) => x.subresource === 'binding').responseKind, { group: '', version: 'v1', kind: 'Binding' });
    const apis = await s.api.request('GET', '/apis', { headers: { accept: AGGREGATED_ACCEPT } });
    const apps = apis.json.items.find((g: any) => g.metadata.name === 'apps');
    const deploy = apps.versions[0].resources.find((r: any) => r.resource === 'deployments');
    assert.deepEqual(deploy.subresources.find((x: any) => x.subresource === 'scale').responseKind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const etag = apis.headers.etag as string;
    assert.ok(etag);
    const cached = await s.api.request('GET', '/apis', { headers: { accept: AGGREGATED_ACCEPT, 'if-none-match': etag } });
    assert.equal(cached.status, 304);
    const legacy = await s.api.request('GET', '/api');
    assert.equal(legacy.json.kind, 'APIVersions');
    assert.deepEqual(legacy.json.versions, ['v1']);
    const v1 = await s.api.request('GET', '/api/v1');
    assert.equal(v1.json.kind, 'APIResourceList');
    assert.ok(v1.json.resources.some((r: any) => r.name === 'pods/status'));
    const appsV1 = await s.api.request('GET', '/apis/apps/v1');
    assert.deepEqual(appsV1.json.resources.find((r: any) => r.name === 'deployments/scale'), { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    const group = await s.api.request('GET', '/apis/apps');
    assert.equal(group.json.kind, 'APIGroup');
    assert.equal(group.json.preferredVersion.groupVersion, 'apps/v1');
  });

  it('health endpoints answer ok and list their checks with ?verbose', async () => {
    for (const p of ['/healthz', '/livez', '/readyz']) {
      const r = await s.api.request('GET', p);
      assert.equal(r.status, 200);
      assert.equal(r.body, 'ok');
    }
    const v = await s.api.request('GET', '/readyz?verbose');
    assert.match(v.body, /^\[\+\]ping ok\n/);
    assert.match(v.body, /readyz check passed\n$/);
    assert.equal((await s.api.request('GET', '/readyz/ping')).status, 200);
  });
});
