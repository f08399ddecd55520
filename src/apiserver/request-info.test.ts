import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRequestInfo } from './request-info.js';

describe('parseRequestInfo', () => {
  const cases: Array<{ name: string; method: string; path: string; watch?: string; want: Partial<ReturnType<typeof parseRequestInfo>> | undefined }> = [
    { name: 'core namespaced list', method: 'GET', path: '/api/v1/namespaces/default/pods', want: { group: '', version: 'v1', namespace: 'default', resource: 'pods', name: '', verb: 'list' } },
    { name: 'core get', method: 'GET', path: '/api/v1/namespaces/default/pods/nginx', want: { resource: 'pods', name: 'nginx', verb: 'get' } },
    { name: 'all-namespaces list', method: 'GET', path: '/api/v1/pods', want: { namespace: '', resource: 'pods', verb: 'list' } },
    { name: 'namespace object', method: 'GET', path: '/api/v1/namespaces/kube-system', want: { namespace: 'kube-system', resource: 'namespaces', name: 'kube-system', verb: 'get' } },
    { name: 'namespace status stays on the namespace', method: 'PUT', path: '/api/v1/namespaces/x/status', want: { resource: 'namespaces', name: 'x', subresource: 'status', verb: 'update' } },
    { name: 'namespace finalize', method: 'PUT', path: '/api/v1/namespaces/x/finalize', want: { resource: 'namespaces', name: 'x', subresource: 'finalize' } },
    { name: 'group scale subresource', method: 'PATCH', path: '/apis/apps/v1/namespaces/default/deployments/web/scale', want: { group: 'apps', version: 'v1', resource: 'deployments', name: 'web', subresource: 'scale', verb: 'patch' } },
    { name: 'watch param', method: 'GET', path: '/api/v1/namespaces/default/pods', watch: 'true', want: { verb: 'watch' } },
    { name: 'watch=0 is a list', method: 'GET', path: '/api/v1/namespaces/default/pods', watch: '0', want: { verb: 'list' } },
    { name: 'legacy watch path', method: 'GET', path: '/api/v1/watch/namespaces/default/pods', want: { verb: 'watch', namespace: 'default', resource: 'pods' } },
    { name: 'delete collection', method: 'DELETE', path: '/api/v1/namespaces/default/configmaps', want: { verb: 'deletecollection' } },
    { name: 'delete one', method: 'DELETE', path: '/api/v1/namespaces/default/configmaps/a', want: { verb: 'delete', name: 'a' } },
    { name: 'create', method: 'POST', path: '/api/v1/namespaces/default/pods/p/binding', want: { verb: 'create', subresource: 'binding' } },
    { name: 'group-version discovery path', method: 'GET', path: '/apis/apps/v1', want: { group: 'apps', version: 'v1', resource: '' } },
    { name: 'not an API path', method: 'GET', path: '/healthz', want: undefined },
    { name: 'too deep', method: 'GET', path: '/api/v1/namespaces/a/pods/b/c/d', want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = parseRequestInfo(c.method, c.path, c.watch ?? null);
      if (c.want === undefined) return assert.equal(got, undefined);
      assert.ok(got);
      for (const [k, v] of Object.entries(c.want)) assert.equal((got as any)[k], v, k);
    });
  }
});
