import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubeletResponseError, resolveContainer } from './pod-connector.js';
import type { KubeObject } from './resources/types.js';

test('a kubelet error answer to a log request becomes the Status upstream builds (GenericHttpResponseChecker)', () => {
  const cases = [
    {
      name: '400 is BadRequest with the body as message (kubectl: Error from server (BadRequest): ...)',
      code: 400, body: 'previous terminated container "app" in pod "web" not found',
      want: { code: 400, reason: 'BadRequest', message: 'previous terminated container "app" in pod "web" not found' },
    },
    { name: '500 is InternalError', code: 500, body: 'boom', want: { code: 500, reason: 'InternalError', message: 'Internal error occurred: boom' } },
    { name: '404 is a generic NotFound', code: 404, body: 'pod "web" does not exist', want: { code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' } },
  ];
  for (const c of cases) {
    const s = kubeletResponseError(c.code, c.body, 'web').status;
    assert.deepEqual({ code: s.code, reason: s.reason, message: s.message }, c.want, c.name);
    assert.equal(s.status, 'Failure', c.name);
  }
  assert.deepEqual(kubeletResponseError(404, 'pod "web" does not exist', 'web').status.details,
    { name: 'web', kind: 'pods/log', causes: [{ reason: 'UnexpectedServerResponse', message: 'pod "web" does not exist' }] });
});

test('the addressed container is validated as upstream\'s LogLocation does', () => {
  const pod = (containers: string[], annotations?: Record<string, string>): KubeObject =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', annotations }, spec: { containers: containers.map((name) => ({ name })) } }) as KubeObject;
  assert.equal(resolveContainer(pod(['app']), null), 'app');
  assert.equal(resolveContainer(pod(['a', 'b']), 'b'), 'b');
  assert.equal(resolveContainer(pod(['a', 'b'], { 'kubectl.kubernetes.io/default-container': 'b' }), null), 'b');
  assert.throws(() => resolveContainer(pod(['a', 'b']), null), /a container name must be specified for pod web, choose one of: \[a b\]/);
  assert.throws(() => resolveContainer(pod(['a']), 'x'), /container x is not valid for pod web/);
});
