// fieldValidation=Strict|Warn|Ignore against the served OpenAPI schemas, as kubectl 1.32 relies on
// (it sends Strict and validates nothing itself when the v3 document offers the parameter).
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { startCoreServer, testStrategies, type CoreServer } from './core-fixtures.js';
import { createOpenApi } from '../../src/apiserver/openapi/index.js';

describe('API server core: fieldValidation', () => {
  let s: CoreServer;
  before(async () => { s = await startCoreServer({ openapi: createOpenApi(testStrategies()) }); });
  after(async () => { await s?.stop(); });

  const body = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' }, spec: { foo: 1 } });

  it('Strict: 400 with upstream\'s message, nothing stored', async () => {
    const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', { body: body('strict') });
    assert.equal(r.status, 400);
    assert.equal(r.json.reason, 'BadRequest');
    assert.equal(r.json.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"');
    assert.equal((await s.api.request('GET', '/api/v1/namespaces/default/configmaps/strict')).status, 404);
  });

  it('Warn (the default): created, a Warning header, the field dropped', async () => {
    const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: body('warn') });
    assert.equal(r.status, 201);
    assert.equal(r.headers.warning, '299 - "unknown field \\"spec\\""');
    assert.equal(r.json.spec, undefined);
    assert.deepEqual(r.json.data, { a: '1' });
  });

  it('Ignore: created silently, the field dropped', async () => {
    const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Ignore', { body: body('ignore') });
    assert.equal(r.status, 201);
    assert.equal(r.headers.warning, undefined);
    assert.equal(r.json.spec, undefined);
  });

  it('Strict applies to the patched object too', async () => {
    const r = await s.api.request('PATCH', '/api/v1/namespaces/default/configmaps/warn?fieldValidation=Strict', { body: { data: { b: '2' }, bogus: true }, headers: { 'content-type': 'application/merge-patch+json' } });
    assert.equal(r.status, 400);
    assert.equal(r.json.message, 'strict decoding error: unknown field "bogus"');
  });

  it('an unknown directive is a 400', async () => {
    const r = await s.api.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Loose', { body: body('loose') });
    assert.equal(r.status, 400);
  });

  it('serves /openapi/v3 and /openapi/v2 from the wire module', async () => {
    const root = await s.api.request('GET', '/openapi/v3');
    assert.equal(root.status, 200);
    const ref = root.json.paths['api/v1'].serverRelativeURL as string;
    const doc = await s.api.request('GET', ref);
    assert.equal(doc.status, 200);
    assert.ok(doc.headers.etag);
    const v2 = await s.api.request('GET', '/openapi/v2', { headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    assert.equal(v2.status, 200);
    assert.equal(v2.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
  });
});
