// The Runtime contract: one suite of checks every implementation must pass, so that tests written
// against FakeRuntime hold against containerd. Run by runtime/fake/fake-runtime.test.ts and by
// test/kubelet/cri-containerd.test.ts against a real containerd.
import assert from 'node:assert/strict';
import { isRuntimeError, type PodSandboxConfig, type Runtime } from './types.js';

/** What the suite needs from the environment. */
export interface RuntimeContractEnv {
  /** An image already present in the runtime that has `sleep` (busybox). */
  image: string;
  /** A unique pod name/uid suffix, so runs do not collide. */
  suffix: string;
  /** Directory under which the sandbox's logs may be written. */
  logRoot: string;
}

/**
 * Checks the lifecycle every pod worker depends on: image status, sandbox run/status/list/stop/
 * remove, container create/start/status/list/stop/remove, NotFound errors and idempotent
 * stop/remove. Leaves nothing behind when it passes.
 */
export async function runtimeContract(rt: Runtime, env: RuntimeContractEnv): Promise<void> {
  const v = await rt.version();
  assert.equal(v.runtimeApiVersion, 'v1', 'speaks CRI v1');

  const img = await rt.imageStatus(env.image);
  assert.ok(img && img.id.startsWith('sha256:'), 'a present image has a sha256 ID');
  assert.ok(img.size > 0, 'a present image has a size');
  assert.equal(await rt.imageStatus(`${env.image.split(':')[0]}:contract-absent`), undefined, 'an absent image is undefined');
  assert.ok((await rt.listImages()).some((i) => i.id === img.id), 'listImages includes it');

  const uid = `contract-uid-${env.suffix}`;
  const sandbox: PodSandboxConfig = {
    metadata: { name: `contract-${env.suffix}`, uid, namespace: 'contract', attempt: 0 },
    hostname: `contract-${env.suffix}`,
    logDirectory: `${env.logRoot}/contract_${env.suffix}_${uid}`,
    labels: { 'berth.test/contract': env.suffix },
    annotations: { 'berth.test/note': 'kept verbatim' },
    linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
  };
  const sb = await rt.runPodSandbox(sandbox);
  const sbs = await rt.podSandboxStatus(sb);
  assert.equal(sbs.state, 'SANDBOX_READY');
  assert.deepEqual(sbs.metadata, sandbox.metadata);
  assert.equal(sbs.annotations['berth.test/note'], 'kept verbatim', 'annotations come back unchanged');
  assert.ok(sbs.createdAt > 0n);
  assert.deepEqual((await rt.listPodSandbox({ labelSelector: { 'berth.test/contract': env.suffix } })).map((s) => s.id), [sb]);
  assert.deepEqual(await rt.listPodSandbox({ labelSelector: { 'berth.test/contract': 'no-such' } }), []);

  const cid = await rt.createContainer(sb, {
    metadata: { name: 'sleeper', attempt: 0 }, image: env.image, command: ['sleep'], args: ['3600'],
    labels: { 'berth.test/container': 'sleeper' }, logPath: 'sleeper/0.log',
  }, sandbox);
  const created = await rt.containerStatus(cid);
  assert.equal(created.state, 'CONTAINER_CREATED');
  assert.equal(created.startedAt, 0n);
  await rt.startContainer(cid);
  const running = await rt.containerStatus(cid);
  assert.equal(running.state, 'CONTAINER_RUNNING');
  assert.ok(running.startedAt > 0n);
  assert.equal(running.logPath, `${sandbox.logDirectory}/sleeper/0.log`);
  const listed = await rt.listContainers({ podSandboxId: sb, state: 'CONTAINER_RUNNING' });
  assert.deepEqual(listed.map((c) => [c.id, c.metadata.name, c.labels['berth.test/container']]), [[cid, 'sleeper', 'sleeper']]);

  await rt.stopContainer(cid, 0);
  const stopped = await rt.containerStatus(cid);
  assert.equal(stopped.state, 'CONTAINER_EXITED');
  assert.equal(stopped.exitCode, 137, 'killed at once with no grace period');
  assert.ok(stopped.finishedAt >= stopped.startedAt);
  await rt.stopContainer(cid, 0);

  await rt.removeContainer(cid);
  await rt.removeContainer(cid);
  await assert.rejects(rt.containerStatus(cid), (e: unknown) => isRuntimeError(e, 'NotFound'), 'a removed container is NotFound');

  await rt.stopPodSandbox(sb);
  await rt.stopPodSandbox(sb);
  assert.equal((await rt.podSandboxStatus(sb)).state, 'SANDBOX_NOTREADY');
  await rt.removePodSandbox(sb);
  await rt.removePodSandbox(sb);
  await assert.rejects(rt.podSandboxStatus(sb), (e: unknown) => isRuntimeError(e, 'NotFound'), 'a removed sandbox is NotFound');
  assert.deepEqual(await rt.listPodSandbox({ labelSelector: { 'berth.test/contract': env.suffix } }), []);
}
