// FakeRuntime passes the same Runtime contract as containerd (test/kubelet/cri-containerd.test.ts),
// plus the scripting hooks tests rely on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runtimeContract } from '../contract.js';
import { RuntimeError } from '../types.js';
import { FakeRuntime } from './fake-runtime.js';

test('FakeRuntime passes the Runtime contract', async () => {
  const rt = new FakeRuntime();
  rt.addImage('docker.io/library/busybox:1');
  await runtimeContract(rt, { image: 'docker.io/library/busybox:1', suffix: 'fake', logRoot: '/logs' });
});

test('FakeRuntime scripting: failNext, pullHook, exitContainer', async () => {
  const rt = new FakeRuntime({ now: () => 1_000 });
  rt.failNext.set('version', [new RuntimeError('Unavailable', 'down')]);
  await assert.rejects(rt.version(), { message: 'rpc error: code = Unavailable desc = down' });
  assert.equal((await rt.version()).runtimeApiVersion, 'v1', 'failNext fires once');

  rt.pullHook = (image) => (image.endsWith(':nope') ? new RuntimeError('NotFound', `${image}: not found`) : undefined);
  await assert.rejects(rt.pullImage('nginx:nope'), (e: unknown) => e instanceof RuntimeError && e.code === 'NotFound');
  const ref = await rt.pullImage('nginx:1', { username: 'u', password: 'p' });
  assert.equal((await rt.imageStatus('nginx:1'))?.id, ref);
  assert.deepEqual(rt.callsOf('pullImage').map((c) => c.args[1]), [undefined, { username: 'u', password: 'p' }]);

  const sandbox = { metadata: { name: 'p', uid: 'u', namespace: 'n', attempt: 0 } };
  const sb = await rt.runPodSandbox(sandbox);
  const c = await rt.createContainer(sb, { metadata: { name: 'c', attempt: 0 }, image: 'nginx:1' }, sandbox);
  await rt.startContainer(c);
  rt.exitContainer(c, 1);
  const s = await rt.containerStatus(c);
  assert.deepEqual([s.state, s.exitCode, s.reason, s.finishedAt], ['CONTAINER_EXITED', 1, 'Error', 1_000_000_000n]);
  await assert.rejects(rt.createContainer(sb, { metadata: { name: 'd', attempt: 0 }, image: 'absent:1' }, sandbox),
    (e: unknown) => e instanceof RuntimeError && e.code === 'NotFound', 'creating from an absent image fails');
});
