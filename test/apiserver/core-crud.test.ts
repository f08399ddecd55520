// The API server core over HTTPS: authentication, bootstrap objects, create/get/update/patch/
// delete with upstream's Status answers, generateName, dryRun, size limits, body errors.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { request as httpsRequest } from 'node:https';
import { BACKENDS, startCoreServer, type CoreServer, eventually } from './core-fixtures.js';

for (const backend of BACKENDS) describe(`API server core: CRUD over HTTPS (${backend.name})`, () => {
  let s: CoreServer;
  before(async () => { s = await startCoreServer({ backend }); });
  after(async () => { await s?.stop(); });

  it('answers 401 Unauthorized without credentials, and /version without them', async () => {
    const get = (path: string, headers: Record<string, string> = {}) => new Promise<{ status: number; body: string }>((res, rej) => {
      const u = new URL(s.server.url);
      const req = httpsRequest({ host: u.hostname, port: u.port, path, ca: s.server.caPem, headers }, (r) => {
        let b = '';
        r.on('data', (c) => { b += c; });
        r.on('end', () => res({ status: r.statusCode ?? 0, body: b }));
      });
      req.on('error', rej);
      req.end();
    });
    const anon = await get('/api/v1/namespaces');
    assert.equal(anon.status, 401);
    assert.deepEqual(JSON.parse(anon.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    const badToken = await get('/api/v1/namespaces', { authorization: 'Bearer nope' });
    assert.equal(badToken.status, 401);
    const v = await get('/version');
    assert.equal(v.status, 200);
    assert.equal(JSON.parse(v.body).minor, '32');
    const nodeToken = await get('/api/v1/namespaces', { authorization: `Bearer ${s.server.nodeToken}` });
    assert.equal(nodeToken.status, 200);
  });

  it('bootstraps the four namespaces, default ServiceAccounts, kube-root-ca.crt and the kubernetes Service', async () => {
    const ns = await s.api.request('GET', '/api/v1/namespaces');
    assert.deepEqual(ns.json.items.map((n: any) => n.metadata.name).sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    for (const n of ['default', 'kube-system']) {
      assert.equal((await s.api.request('GET', `/api/v1/namespaces/${n}/serviceaccounts/default`)).status, 200);
      const cm = await s.api.request('GET', `/api/v1/namespaces/${n}/configmaps/kube-root-ca.crt`);
      assert.equal(cm.json.data['ca.crt'], s.server.caPem);
    }
    const svc = await s.api.request('GET', '/api/v1/namespaces/default/services/kubernetes');
    assert.equal(svc.json.spec.clusterIP, '10.43.0.1');
    assert.equal(svc.json.spec.ports[0].port, 443);
    const ep = await s.api.request('GET', '/api/v1/namespaces/default/endpoints/kubernetes');
    assert.deepEqual(ep.json.subsets, [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: s.server.port, protocol: 'TCP' }] }]);
  });

  it('creates with server-set metadata and answers 201', async () => {
    const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1', creationTimestamp: null }, data: { a: '1' } } });
    assert.equal(r.status, 201);
    assert.match(r.json.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(r.json.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(r.json.metadata.resourceVersion, /^\d+$/);
    assert.equal(r.json.metadata.namespace, 'default');
    const g = await s.api.request('GET', '/api/v1/namespaces/default/configmaps/c1');
    assert.deepEqual(g.json, r.json);
  });

  const errorCases: Array<{ name: string; method: string; path: string; body?: unknown; headers?: Record<string, string>; code: number; reason: string; message: string | RegExp }> = [
    { name: 'get a missing object', method: 'GET', path: '/api/v1/namespaces/default/pods/nope', code: 404, reason: 'NotFound', message: 'pods "nope" not found' },
    { name: 'get a missing group object', method: 'GET', path: '/apis/apps/v1/namespaces/default/deployments/web', code: 404, reason: 'NotFound', message: 'deployments.apps "web" not found' },
    { name: 'create in a missing namespace', method: 'POST', path: '/api/v1/namespaces/nowhere/configmaps', body: { metadata: { name: 'x' } }, code: 404, reason: 'NotFound', message: 'namespaces "nowhere" not found' },
    { name: 'create an existing name', method: 'POST', path: '/api/v1/namespaces/default/serviceaccounts', body: { metadata: { name: 'default' } }, code: 409, reason: 'AlreadyExists', message: 'serviceaccounts "default" already exists' },
    { name: 'create an invalid name', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: { metadata: { name: 'UPPER_case' } }, code: 422, reason: 'Invalid', message: /^ConfigMap "UPPER_case" is invalid: metadata.name: Invalid value: "UPPER_case": a lowercase RFC 1123/ },
    { name: 'create without a name', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: { metadata: {} }, code: 422, reason: 'Invalid', message: 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required' },
    { name: 'namespace mismatch', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: { metadata: { name: 'x', namespace: 'kube-system' } }, code: 400, reason: 'BadRequest', message: 'the namespace of the provided object does not match the namespace sent on the request' },
    { name: 'resourceVersion on create', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: { metadata: { name: 'x', resourceVersion: '5' } }, code: 400, reason: 'BadRequest', message: 'resourceVersion should not be set on objects to be created' },
    { name: 'malformed JSON', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: '{"metadata": {', code: 400, reason: 'BadRequest', message: 'the object provided is unrecognized (must be of type ConfigMap): couldn\'t get version/kind; json parse error: unexpected end of JSON input ({"metadata": {)' },
    { name: 'malformed YAML', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: 'metadata:\n  name: [x\n', headers: { 'content-type': 'application/yaml' }, code: 400, reason: 'BadRequest', message: /^the object provided is unrecognized \(must be of type ConfigMap\): error converting YAML to JSON: yaml: .* \(6d657461646174613a0a20206e616d653a205b780a\)$/ },
    { name: 'wrong kind in the body', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }, code: 400, reason: 'BadRequest', message: /^Secret in version "v1" cannot be handled as a ConfigMap/ },
    { name: 'unsupported body type', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: '<x/>', headers: { 'content-type': 'text/xml' }, code: 415, reason: 'UnsupportedMediaType', message: /^the body of the request was in an unknown format - accepted media types include: application\/json, application\/yaml/ },
    { name: 'protobuf without a decoder', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: Buffer.from([0x6b, 0x38, 0x73, 0x00]), headers: { 'content-type': 'application/vnd.kubernetes.protobuf' }, code: 415, reason: 'UnsupportedMediaType', message: /unknown format/ },
    { name: 'server-side apply', method: 'PATCH', path: '/api/v1/namespaces/default/configmaps/c1', body: '{}', headers: { 'content-type': 'application/apply-patch+yaml' }, code: 415, reason: 'UnsupportedMediaType', message: /server-side apply is not supported/ },
    { name: 'POST on an object path', method: 'POST', path: '/api/v1/namespaces/default/configmaps/c1', body: {}, code: 405, reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource' },
    { name: 'unknown resource', method: 'GET', path: '/api/v1/namespaces/default/widgets', code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' },
    { name: 'an API version upstream 1.32 no longer serves', method: 'GET', path: '/apis/extensions/v1beta1/namespaces/default/deployments', code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' },
    { name: 'protobuf-only Accept', method: 'GET', path: '/api/v1/namespaces/default/configmaps', headers: { accept: 'application/vnd.kubernetes.protobuf' }, code: 406, reason: 'NotAcceptable', message: /^only the following media types are accepted/ },
    { name: 'unknown field label', method: 'GET', path: '/api/v1/namespaces/default/pods?fieldSelector=spec.foo%3Dx', code: 400, reason: 'BadRequest', message: 'Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.foo=x": field label not supported: spec.foo' },
    { name: 'bad continue token', method: 'GET', path: '/api/v1/namespaces/default/configmaps?limit=1&continue=garbage', code: 400, reason: 'BadRequest', message: /^continue key is not valid/ },
  ];
  for (const c of errorCases) {
    it(`answers ${c.code} ${c.reason}: ${c.name}`, async () => {
      const r = await s.api.request(c.method, c.path, { body: c.body, headers: c.headers });
      assert.equal(r.status, c.code, r.body);
      assert.equal(r.json.kind, 'Status');
      assert.equal(r.json.code, c.code);
      assert.equal(r.json.reason, c.reason);
      if (typeof c.message === 'string') assert.equal(r.json.message, c.message);
      else assert.match(r.json.message, c.message);
    });
  }

  it('Invalid carries details.causes with field paths', async () => {
    const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'Bad_Name' } } });
    assert.equal(r.status, 422);
    assert.deepEqual(r.json.details.causes.map((c: any) => [c.reason, c.field]), [['FieldValueInvalid', 'metadata.name']]);
    assert.equal(r.json.details.kind, 'ConfigMap');
    assert.equal(r.json.details.name, 'Bad_Name');
  });

  it('rejects a body over 3 MiB with 413 and stores nothing', async () => {
    const big = { metadata: { name: 'big' }, data: { x: 'a'.repeat(3 * 1024 * 1024 + 10) } };
    const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: big });
    assert.equal(r.status, 413);
    assert.equal(r.json.message, 'Request entity too large: limit is 3145728');
    assert.equal((await s.api.request('GET', '/api/v1/namespaces/default/configmaps/big')).status, 404);
  });

  it('rejects an object over the 1.5 MiB storage limit with etcd\'s 500 and stores nothing', async () => {
    const big = { metadata: { name: 'big2' }, data: { x: 'a'.repeat(2 * 1024 * 1024) } };
    const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: big });
    assert.equal(r.status, 500);
    assert.equal(r.json.reason, undefined);
    assert.equal(r.json.message, 'etcdserver: request is too large');
    assert.equal((await s.api.request('GET', '/api/v1/namespaces/default/configmaps/big2')).status, 404);
  });

  it('rejects a YAML billion-laughs body quickly', async () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    lines.push('metadata: {name: laughs}');
    const t0 = Date.now();
    const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: lines.join('\n'), headers: { 'content-type': 'application/yaml' } });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /^the object provided is unrecognized \(must be of type ConfigMap\): error converting YAML to JSON/);
    assert.ok(Date.now() - t0 < 2000);
  });

  it('generateName creates distinct names with upstream\'s 5-character suffix', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { generateName: 'gen-' } } });
      assert.equal(r.status, 201);
      assert.match(r.json.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      names.add(r.json.metadata.name);
    }
    assert.equal(names.size, 5);
  });

  it('dryRun=All validates and answers without storing', async () => {
    const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { body: { metadata: { name: 'dry' } } });
    assert.equal(r.status, 201);
    assert.equal(r.json.metadata.name, 'dry');
    assert.equal((await s.api.request('GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
  });

  it('update: 409 Conflict with upstream\'s message on a stale resourceVersion; the first write wins', async () => {
    const c = await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'occ' }, data: { a: '0' } } });
    const rv1 = c.json.metadata.resourceVersion;
    const u1 = await s.api.request('PUT', '/api/v1/namespaces/default/configmaps/occ', { body: { ...c.json, data: { a: '1' } } });
    assert.equal(u1.status, 200);
    assert.notEqual(u1.json.metadata.resourceVersion, rv1);
    const u2 = await s.api.request('PUT', '/api/v1/namespaces/default/configmaps/occ', { body: { ...c.json, data: { a: '2' } } });
    assert.equal(u2.status, 409);
    assert.equal(u2.json.reason, 'Conflict');
    assert.equal(u2.json.message, 'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again');
    const g = await s.api.request('GET', '/api/v1/namespaces/default/configmaps/occ');
    assert.deepEqual(g.json.data, { a: '1' });
    assert.equal(g.json.metadata.resourceVersion, u1.json.metadata.resourceVersion);
    const d = await s.api.request('DELETE', '/api/v1/namespaces/default/configmaps/occ', { body: { preconditions: { resourceVersion: rv1 } } });
    assert.equal(d.status, 409);
    const name = await s.api.request('PUT', '/api/v1/namespaces/default/configmaps/occ', { body: { metadata: { name: 'other' } } });
    assert.equal(name.status, 400);
    assert.equal(name.json.message, 'the name of the object (other) does not match the name on the URL (occ)');
  });

  it('lost-update hammer: 8 clients x 15 read-modify-write increments with retry on 409 end at exactly 120', async () => {
    await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'counter' }, data: { count: '0' } } });
    const rvs = new Set<string>();
    const worker = async () => {
      for (let i = 0; i < 15; i++) {
        while (true) {
          const g = await s.api.request('GET', '/api/v1/namespaces/default/configmaps/counter');
          const next = { ...g.json, data: { count: String(Number(g.json.data.count) + 1) } };
          const u = await s.api.request('PUT', '/api/v1/namespaces/default/configmaps/counter', { body: next });
          if (u.status === 200) {
            assert.ok(!rvs.has(u.json.metadata.resourceVersion), 'every successful write has its own resourceVersion');
            rvs.add(u.json.metadata.resourceVersion);
            break;
          }
          assert.equal(u.status, 409, u.body);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const g = await s.api.request('GET', '/api/v1/namespaces/default/configmaps/counter');
    assert.equal(g.json.data.count, '120');
  });

  it('create race: 10 concurrent POSTs of one name give one 201 and nine 409 AlreadyExists', async () => {
    const rs = await Promise.all(Array.from({ length: 10 }, () => s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'race' } } })));
    assert.deepEqual(rs.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of rs.filter((x) => x.status === 409)) assert.equal(r.json.message, 'configmaps "race" already exists');
  });

  it('update keeps uid and creationTimestamp and bumps generation only on spec changes', async () => {
    const c = await s.api.request('POST', '/apis/apps/v1/namespaces/default/deployments', { body: { metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } } } } });
    assert.equal(c.status, 201);
    assert.equal(c.json.metadata.generation, 1);
    const u = await s.api.request('PUT', '/apis/apps/v1/namespaces/default/deployments/web', { body: { ...c.json, metadata: { ...c.json.metadata, uid: 'forged', labels: { a: 'b' } } } });
    assert.equal(u.json.metadata.uid, c.json.metadata.uid);
    assert.equal(u.json.metadata.generation, 1);
    const p = await s.api.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { body: { spec: { replicas: 2 } }, headers: { 'content-type': 'application/merge-patch+json' } });
    assert.equal(p.status, 200);
    assert.equal(p.json.metadata.generation, 2);
    assert.deepEqual(p.json.metadata.labels, { a: 'b' });
    const st = await s.api.request('PUT', '/apis/apps/v1/namespaces/default/deployments/web/status', { body: { ...p.json, spec: { replicas: 9 }, status: { replicas: 2, observedGeneration: 2 } } });
    assert.equal(st.status, 200);
    assert.equal(st.json.spec.replicas, 2, 'a status write leaves spec alone');
    assert.equal(st.json.status.replicas, 2);
    const main = await s.api.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { body: { status: { replicas: 7 } }, headers: { 'content-type': 'application/merge-patch+json' } });
    assert.equal(main.json.status.replicas, 2, 'a main-resource write leaves status alone');
  });

  it('scale subresource: autoscaling/v1 Scale, merge-patch and PUT without Content-Type', async () => {
    const g = await s.api.request('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale');
    assert.equal(g.status, 200);
    assert.equal(g.json.kind, 'Scale');
    assert.equal(g.json.apiVersion, 'autoscaling/v1');
    assert.equal(g.json.spec.replicas, 2);
    assert.deepEqual(g.json.status, { replicas: 2, selector: 'app=web' });
    const p = await s.api.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { body: { spec: { replicas: 3 } }, headers: { 'content-type': 'application/merge-patch+json' } });
    assert.equal(p.json.spec.replicas, 3);
    const body = Buffer.from(JSON.stringify({ ...p.json, spec: { replicas: 4 } }));
    const put = await s.api.request('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', { body, headers: { 'content-type': '' } });
    assert.equal(put.status, 200, put.body);
    assert.equal(put.json.spec.replicas, 4);
    const stale = await s.api.request('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', { body: { ...p.json, spec: { replicas: 5 } } });
    assert.equal(stale.status, 409);
    const neg = await s.api.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { body: { spec: { replicas: -1 } }, headers: { 'content-type': 'application/merge-patch+json' } });
    assert.equal(neg.status, 422);
    assert.equal(neg.json.message, 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    const d = await s.api.request('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    assert.equal(d.json.spec.replicas, 4);
    assert.equal(d.json.metadata.generation, 4);
  });

  it('JSON patch: applies, and a failed test operation is a clean error', async () => {
    const ok = await s.api.request('PATCH', '/api/v1/namespaces/default/configmaps/c1', { body: [{ op: 'add', path: '/data/b', value: '2' }], headers: { 'content-type': 'application/json-patch+json' } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json.data, { a: '1', b: '2' });
    const bad = await s.api.request('PATCH', '/api/v1/namespaces/default/configmaps/c1', { body: [{ op: 'test', path: '/data/a', value: 'x' }], headers: { 'content-type': 'application/json-patch+json' } });
    assert.ok(bad.status === 400 || bad.status === 422, bad.body);
    assert.equal(bad.json.kind, 'Status');
    const missing = await s.api.request('PATCH', '/api/v1/namespaces/default/configmaps/nope', { body: {}, headers: { 'content-type': 'application/merge-patch+json' } });
    assert.equal(missing.status, 404);
  });

  it('delete: Success Status with the uid, then 404', async () => {
    const c = await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'gone' } } });
    const d = await s.api.request('DELETE', '/api/v1/namespaces/default/configmaps/gone', { body: { propagationPolicy: 'Background' } });
    assert.equal(d.status, 200);
    assert.deepEqual(d.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'gone', kind: 'configmaps', uid: c.json.metadata.uid }, code: 200 });
    assert.equal((await s.api.request('GET', '/api/v1/namespaces/default/configmaps/gone')).status, 404);
    const again = await s.api.request('DELETE', '/api/v1/namespaces/default/configmaps/gone');
    assert.equal(again.status, 404);
    const badPolicy = await s.api.request('DELETE', '/api/v1/namespaces/default/configmaps/c1?propagationPolicy=Sideways');
    assert.equal(badPolicy.status, 422);
  });

  it('finalizers keep the object with deletionTimestamp until the last one goes; no new ones meanwhile', async () => {
    await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
    const d = await s.api.request('DELETE', '/api/v1/namespaces/default/configmaps/held');
    assert.equal(d.status, 200);
    assert.ok(d.json.metadata.deletionTimestamp);
    assert.equal((await s.api.request('GET', '/api/v1/namespaces/default/configmaps/held')).status, 200);
    const add = await s.api.request('PATCH', '/api/v1/namespaces/default/configmaps/held', { body: { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } }, headers: { 'content-type': 'application/merge-patch+json' } });
    assert.equal(add.status, 422);
    assert.match(add.json.message, /metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers \[\]string\{"example.com\/more"\}/);
    const rm = await s.api.request('PATCH', '/api/v1/namespaces/default/configmaps/held', { body: { metadata: { finalizers: null } }, headers: { 'content-type': 'application/merge-patch+json' } });
    assert.equal(rm.status, 200);
    assert.equal((await s.api.request('GET', '/api/v1/namespaces/default/configmaps/held')).status, 404);
  });

  it('graceful pod deletion keeps a bound pod; grace 0 removes it', async () => {
    await s.api.request('POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name: 'p1' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    const b = await s.api.request('POST', '/api/v1/namespaces/default/pods/p1/binding', { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p1' }, target: { kind: 'Node', name: 'node01' } } });
    assert.equal(b.status, 201, b.body);
    const b2 = await s.api.request('POST', '/api/v1/namespaces/default/pods/p1/binding', { body: { target: { kind: 'Node', name: 'node02' } } });
    assert.equal(b2.status, 409);
    assert.equal(b2.json.message, 'Operation cannot be fulfilled on pods/binding "p1": pod p1 is already assigned to node "node01"');
    const p = await s.api.request('GET', '/api/v1/namespaces/default/pods/p1');
    assert.equal(p.json.spec.nodeName, 'node01');
    const d = await s.api.request('DELETE', '/api/v1/namespaces/default/pods/p1');
    assert.equal(d.json.metadata.deletionGracePeriodSeconds, 30);
    assert.ok(d.json.metadata.deletionTimestamp);
    const force = await s.api.request('DELETE', '/api/v1/namespaces/default/pods/p1', { body: { gracePeriodSeconds: 0 } });
    assert.equal(force.status, 200);
    assert.equal((await s.api.request('GET', '/api/v1/namespaces/default/pods/p1')).status, 404);
  });

  it('a bound pod with a finalizer: the kubelet\'s grace-0 delete keeps it until the finalizer goes, then it is removed', async () => {
    await s.api.request('POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name: 'pf', finalizers: ['example.com/x'] }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    await s.api.request('POST', '/api/v1/namespaces/default/pods/pf/binding', { body: { target: { kind: 'Node', name: 'node01' } } });
    const d = await s.api.request('DELETE', '/api/v1/namespaces/default/pods/pf');
    assert.equal(d.json.metadata.deletionGracePeriodSeconds, 30);
    const again = await s.api.request('DELETE', '/api/v1/namespaces/default/pods/pf', { body: { gracePeriodSeconds: 60 } });
    assert.equal(again.json.metadata.deletionGracePeriodSeconds, 30, 'a longer grace period changes nothing');
    const k = await s.api.request('DELETE', '/api/v1/namespaces/default/pods/pf', { body: { gracePeriodSeconds: 0 } });
    assert.equal(k.status, 200);
    assert.equal(k.json.metadata.deletionGracePeriodSeconds, 0);
    assert.equal((await s.api.request('GET', '/api/v1/namespaces/default/pods/pf')).status, 200);
    const rm = await s.api.request('PATCH', '/api/v1/namespaces/default/pods/pf', { body: { metadata: { finalizers: null } }, headers: { 'content-type': 'application/merge-patch+json' } });
    assert.equal(rm.status, 200);
    assert.equal((await s.api.request('GET', '/api/v1/namespaces/default/pods/pf')).status, 404);
  });

  it('deletecollection deletes what the selector picks', async () => {
    for (const [n, app] of [['dc1', 'x'], ['dc2', 'x'], ['dc3', 'y']]) {
      await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: n, labels: { app } } } });
    }
    const r = await s.api.request('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=app%3Dx');
    assert.equal(r.status, 200);
    assert.equal(r.json.kind, 'ConfigMapList');
    assert.deepEqual(r.json.items.map((i: any) => i.metadata.name).sort(), ['dc1', 'dc2']);
    const left = await s.api.request('GET', '/api/v1/namespaces/default/configmaps?labelSelector=app');
    assert.deepEqual(left.json.items.map((i: any) => i.metadata.name), ['dc3']);
    const bad = await s.api.request('GET', '/api/v1/namespaces/default/configmaps?labelSelector=a%20b');
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /^Unable to find "\/v1, Resource=configmaps" that match label selector "a b", field selector "": /);
    const y = await s.api.request('GET', '/api/v1/namespaces/default/configmaps?labelSelector=app%3Dy');
    assert.deepEqual(y.json.items.map((i: any) => i.metadata.name), ['dc3']);
  });

  it('namespace deletion: Terminating, 403 for new content, objects removed, then the namespace', async () => {
    assert.equal((await s.api.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'doomed' } } })).status, 201);
    assert.equal((await s.api.request('GET', '/api/v1/namespaces/doomed/serviceaccounts/default')).status, 200);
    await s.api.request('POST', '/api/v1/namespaces/doomed/configmaps', { body: { metadata: { name: 'a' } } });
    const d = await s.api.request('DELETE', '/api/v1/namespaces/doomed');
    assert.equal(d.status, 200);
    assert.equal(d.json.status.phase, 'Terminating');
    const create = await s.api.request('POST', '/api/v1/namespaces/doomed/configmaps', { body: { metadata: { name: 'b' } } });
    if (create.status !== 404) {
      assert.equal(create.status, 403);
      assert.equal(create.json.message, 'configmaps "b" is forbidden: unable to create new content in namespace doomed because it is being terminated');
    }
    await eventually(async () => ((await s.api.request('GET', '/api/v1/namespaces/doomed')).status === 404 ? true : undefined));
    assert.equal((await s.api.request('GET', '/api/v1/namespaces/doomed/configmaps/a')).status, 404);
  });

  it('the system namespaces cannot be deleted (403, NamespaceLifecycle)', async () => {
    for (const n of ['default', 'kube-system', 'kube-public']) {
      const r = await s.api.request('DELETE', `/api/v1/namespaces/${n}`);
      assert.equal(r.status, 403);
      assert.equal(r.json.message, `namespaces "${n}" is forbidden: this namespace may not be deleted`);
    }
    assert.equal((await s.api.request('GET', '/api/v1/namespaces/default')).json.status.phase, 'Active');
  });

  it('TokenRequest issues a JWT the server accepts as a bearer token', async () => {
    const short = await s.api.request('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 60 } } });
    assert.equal(short.status, 422);
    assert.equal(short.json.message, 'TokenRequest.authentication.k8s.io "default" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
    const r = await s.api.request('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} } });
    assert.equal(r.status, 201, r.body);
    assert.equal(r.json.kind, 'TokenRequest');
    const token = r.json.status.token as string;
    const u = new URL(s.server.url);
    const status = await new Promise<number>((res, rej) => {
      const req = httpsRequest({ host: u.hostname, port: u.port, path: '/api/v1/namespaces/default/configmaps', ca: s.server.caPem, headers: { authorization: `Bearer ${token}` } }, (resp) => { resp.resume(); res(resp.statusCode ?? 0); });
      req.on('error', rej);
      req.end();
    });
    assert.equal(status, 200);
    const missing = await s.api.request('POST', '/api/v1/namespaces/default/serviceaccounts/nope/token', { body: { spec: {} } });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.message, 'serviceaccounts "nope" not found');
  });
});
