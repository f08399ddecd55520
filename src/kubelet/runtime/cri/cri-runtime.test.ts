// CriRuntime against an in-process gRPC server speaking the same runtime.v1 subset on a unix
// socket: requests arrive with the fields containerd reads, responses map to the Runtime types,
// gRPC statuses become RuntimeErrors with Go's `rpc error: code = X desc = Y` text.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { CriRuntime } from './cri-runtime.js';
import { criPackage } from './proto.js';
import { RuntimeError } from '../types.js';

type Handler = (req: any) => any;
const received: Record<string, any[]> = {};
const replies: Record<string, Handler> = {};
let server: grpc.Server;
let dir: string;
let rt: CriRuntime;

function service(def: grpc.ServiceClientConstructor): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(def.service)) {
    const method = name;
    impl[name] = (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
      (received[method] ??= []).push(call.request);
      try {
        cb(null, replies[method]?.(call.request) ?? {});
      } catch (e) {
        cb(e as grpc.ServiceError);
      }
    };
  }
  return impl;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-cri-'));
  const { RuntimeService, ImageService } = criPackage();
  server = new grpc.Server();
  server.addService(RuntimeService.service, service(RuntimeService));
  server.addService(ImageService.service, service(ImageService));
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${join(dir, 'cri.sock')}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
  rt = new CriRuntime({ socketPath: join(dir, 'cri.sock'), requestTimeoutMs: 5000 });
});

after(async () => {
  rt.close();
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

test('Version sends v1 and maps the answer', async () => {
  replies.Version = () => ({ version: '0.1.0', runtimeName: 'containerd', runtimeVersion: '1.6.20~ds1', runtimeApiVersion: 'v1' });
  assert.deepEqual(await rt.version(), { runtimeApiVersion: 'v1', runtimeName: 'containerd', runtimeVersion: '1.6.20~ds1' });
  assert.equal(received.Version.at(-1).version, 'v1');
});

test('ImageStatus: an absent image is undefined, a present one is mapped with its size', async () => {
  replies.ImageStatus = (req) => (req.image.image === 'busybox:1'
    ? { image: { id: 'sha256:abc', repoTags: ['docker.io/library/busybox:1'], repoDigests: ['docker.io/library/busybox@sha256:def'], size: '4194304', uid: { value: '0' } } }
    : {});
  assert.equal(await rt.imageStatus('nginx:nope'), undefined);
  assert.deepEqual(await rt.imageStatus('busybox:1'), {
    id: 'sha256:abc', repoTags: ['docker.io/library/busybox:1'], repoDigests: ['docker.io/library/busybox@sha256:def'], size: 4194304, uid: 0, pinned: false,
  });
});

test('PullImage carries the credentials in AuthConfig and returns the image ref', async () => {
  replies.PullImage = () => ({ imageRef: 'sha256:feed' });
  const ref = await rt.pullImage('hub.test.com/library/nginx:v1', { auth: 'dTpw', serverAddress: '' });
  assert.equal(ref, 'sha256:feed');
  const req = received.PullImage.at(-1);
  assert.equal(req.image.image, 'hub.test.com/library/nginx:v1');
  assert.equal(req.auth.auth, 'dTpw');
  assert.equal(req.auth.username, '');
});

const errorCases = [
  { name: 'NotFound from a pull', code: grpc.status.NOT_FOUND, details: 'failed to pull and unpack image "docker.io/library/nginx:nope": not found', ours: 'NotFound', goName: 'NotFound' },
  { name: 'Unknown from a run', code: grpc.status.UNKNOWN, details: 'failed to start', ours: 'Unknown', goName: 'Unknown' },
  { name: 'Cancelled keeps Go spelling', code: grpc.status.CANCELLED, details: 'context canceled', ours: 'Canceled', goName: 'Canceled' },
  { name: 'Unauthenticated', code: grpc.status.UNAUTHENTICATED, details: 'no', ours: 'Unauthenticated', goName: 'Unauthenticated' },
] as const;

for (const c of errorCases) {
  test(`gRPC error translation: ${c.name}`, async () => {
    replies.PullImage = () => {
      throw Object.assign(new Error(c.details), { code: c.code, details: c.details });
    };
    await assert.rejects(rt.pullImage('nginx:nope'), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, c.ours);
      assert.equal(e.details, c.details);
      assert.equal(e.message, `rpc error: code = ${c.goName} desc = ${c.details}`);
      return true;
    });
  });
}

test('RunPodSandbox and CreateContainer send the config fields containerd reads', async () => {
  replies.RunPodSandbox = () => ({ podSandboxId: 'sb1' });
  replies.CreateContainer = () => ({ containerId: 'c1' });
  const sandbox = {
    metadata: { name: 'p', uid: 'u1', namespace: 'default', attempt: 0 },
    hostname: 'p', logDirectory: '/logs/default_p_u1',
    portMappings: [{ protocol: 'TCP' as const, containerPort: 80, hostPort: 8080 }],
    labels: { 'io.kubernetes.pod.name': 'p' },
    linux: { securityContext: { namespaceOptions: { network: 'POD' as const, pid: 'CONTAINER' as const } } },
  };
  assert.equal(await rt.runPodSandbox(sandbox), 'sb1');
  const rs = received.RunPodSandbox.at(-1);
  assert.deepEqual(rs.config.metadata, { name: 'p', uid: 'u1', namespace: 'default', attempt: 0 });
  assert.equal(rs.config.portMappings[0].hostPort, 8080);
  assert.equal(rs.config.linux.securityContext.namespaceOptions.pid, 'CONTAINER');
  assert.equal(await rt.createContainer('sb1', {
    metadata: { name: 'app', attempt: 2 }, image: 'sha256:abc', command: ['echo'], args: ['SUCCESS'],
    envs: [{ key: 'A', value: 'b' }], logPath: 'app/2.log', linux: { resources: { memoryLimitInBytes: 1 << 20 } },
  }, sandbox), 'c1');
  const cc = received.CreateContainer.at(-1);
  assert.equal(cc.podSandboxId, 'sb1');
  assert.deepEqual(cc.config.command, ['echo']);
  assert.deepEqual(cc.config.args, ['SUCCESS']);
  assert.equal(cc.config.metadata.attempt, 2);
  assert.equal(cc.config.linux.resources.memoryLimitInBytes, String(1 << 20));
  assert.equal(cc.sandboxConfig.metadata.uid, 'u1');
});

test('ContainerStatus maps nanosecond times to bigint and keeps reason and exit code', async () => {
  replies.ContainerStatus = () => ({
    status: {
      id: 'c1', metadata: { name: 'app', attempt: 1 }, state: 'CONTAINER_EXITED', createdAt: '1700000000000000001',
      startedAt: '1700000000100000000', finishedAt: '1700000001000000000', exitCode: 137, image: { image: 'nginx' },
      imageRef: 'docker.io/library/nginx@sha256:1', reason: 'OOMKilled', logPath: '/logs/app/1.log',
    },
  });
  const s = await rt.containerStatus('c1');
  assert.equal(s.state, 'CONTAINER_EXITED');
  assert.equal(s.createdAt, 1700000000000000001n);
  assert.equal(s.exitCode, 137);
  assert.equal(s.reason, 'OOMKilled');
  assert.equal(s.logPath, '/logs/app/1.log');
});

test('an aborted signal cancels the call as Canceled', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(rt.version({ signal: ac.signal }), (e: unknown) => e instanceof RuntimeError && e.code === 'Canceled');
});

test('a socket nobody listens on is Unavailable', async () => {
  const dead = new CriRuntime({ socketPath: join(dir, 'nobody.sock'), requestTimeoutMs: 2000 });
  try {
    await assert.rejects(dead.version(), (e: unknown) => e instanceof RuntimeError && (e.code === 'Unavailable' || e.code === 'DeadlineExceeded'));
  } finally {
    dead.close();
  }
});
