// The kubelet server over FakeRuntime: client-certificate authentication, container log reading
// with upstream's error texts, and the refusals of exec and port-forward before any upgrade.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadOrCreateCA } from '../../common/ca.js';
import { WebSocket } from 'ws';
import { FakeRuntime, type ExecRequest, type PodSandboxConfig } from '../runtime/index.js';
import { spdyOverSocket } from './relay.js';
import { startKubeletServer } from './server.js';
import type { SpdyStream } from './spdy.js';

interface Answer { status: number; body: string }

function get(port: number, path: string, tls: { ca: string; cert?: string; key?: string }, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ...tls, headers, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test('the kubelet server reads CRI logs of labelled containers and answers as upstream\'s kubelet', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-kubelet-server-'));
  const ca = await loadOrCreateCA(join(dir, 'ca'));
  const serving = await ca.issue({ commonName: 'node', hosts: ['127.0.0.1'], usage: 'server' });
  const client = await ca.issue({ commonName: 'apiserver-kubelet-client', usage: 'client' });
  const rt = new FakeRuntime({ now: () => Date.parse('2024-01-01T00:01:00Z') });
  const image = rt.addImage('docker.io/library/busybox:1');
  const logDir = join(dir, 'logs', 'default_web_uid1');
  const labels = { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': 'uid1' };
  const sandbox: PodSandboxConfig = { metadata: { name: 'web', namespace: 'default', uid: 'uid1', attempt: 0 }, logDirectory: logDir, labels };
  const sb = await rt.runPodSandbox(sandbox);
  const mk = async (name: string, attempt: number, start: boolean): Promise<string> => {
    const id = await rt.createContainer(sb, { metadata: { name, attempt }, image, logPath: `${name}/${attempt}.log`, labels: { ...labels, 'io.kubernetes.container.name': name } }, sandbox);
    if (start) await rt.startContainer(id);
    return id;
  };
  await mkdir(join(logDir, 'app'), { recursive: true });
  await writeFile(join(logDir, 'app', '0.log'), '2024-01-01T00:00:00.5Z stdout F old run\n');
  await writeFile(join(logDir, 'app', '1.log'), [
    '2024-01-01T00:00:10.000000001Z stdout P par',
    '2024-01-01T00:00:10.000000002Z stdout F tial',
    '2024-01-01T00:00:50Z stderr F recent',
    '',
  ].join('\n'));
  rt.exitContainer(await mk('app', 0, true), 1);
  await mk('app', 1, true);
  await mk('pending', 0, false);
  const server = await startKubeletServer({
    listen: { host: '127.0.0.1', port: 0 }, tls: { caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem }, runtime: rt, rootDir: dir,
    now: () => Date.parse('2024-01-01T00:01:00Z'),
  });
  const tls = { ca: ca.certPem, cert: client.certPem, key: client.keyPem };
  try {
    const cases: Array<{ name: string; path: string; want: Answer }> = [
      { name: 'healthz', path: '/healthz', want: { status: 200, body: 'ok' } },
      { name: 'current attempt, partial lines joined', path: '/containerLogs/default/web/app', want: { status: 200, body: 'partial\nrecent\n' } },
      { name: 'timestamps of the first piece', path: '/containerLogs/default/web/app?timestamps=true', want: { status: 200, body: '2024-01-01T00:00:10.000000001Z partial\n2024-01-01T00:00:50Z recent\n' } },
      { name: 'tailLines counts file lines', path: '/containerLogs/default/web/app?tailLines=1', want: { status: 200, body: 'recent\n' } },
      { name: 'sinceSeconds against the clock', path: '/containerLogs/default/web/app?sinceSeconds=30', want: { status: 200, body: 'recent\n' } },
      { name: 'limitBytes', path: '/containerLogs/default/web/app?limitBytes=4', want: { status: 200, body: 'part' } },
      { name: 'previous attempt', path: '/containerLogs/default/web/app?previous=true', want: { status: 200, body: 'old run\n' } },
      { name: 'no previous attempt', path: '/containerLogs/default/web/pending?previous=true', want: { status: 400, body: 'previous terminated container "pending" in pod "web" not found' } },
      { name: 'created but not started', path: '/containerLogs/default/web/pending', want: { status: 400, body: 'container "pending" in pod "web" is waiting to start: ContainerCreating' } },
      { name: 'no container of that name yet', path: '/containerLogs/default/web/sidecar', want: { status: 400, body: 'container "sidecar" in pod "web" is waiting to start: ContainerCreating' } },
      { name: 'unknown pod', path: '/containerLogs/default/nope/app', want: { status: 404, body: 'pod "nope" does not exist' } },
      { name: 'bad tailLines', path: '/containerLogs/default/web/app?tailLines=x', want: { status: 400, body: 'tailLines: invalid value "x"' } },
      { name: 'exec without an upgrade', path: '/exec/default/web/app?command=true&stdout=true', want: { status: 400, body: 'Upgrade request required' } },
      { name: 'unknown path', path: '/stats/summary', want: { status: 404, body: '404 page not found' } },
    ];
    for (const c of cases) assert.deepEqual(await get(server.port, c.path, tls), c.want, c.name);

    // Upgrades are refused with upstream's texts before anything is switched.
    const ws = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    const upgrades: Array<{ name: string; path: string; headers: Record<string, string>; want: Answer }> = [
      { name: 'exec into a pod the runtime does not know', path: '/exec/default/nope/app?command=true&stdout=true', headers: { ...ws, 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' }, want: { status: 404, body: 'pod does not exist' } },
      { name: 'exec into a container that is not running', path: '/exec/default/web/pending?command=true&stdout=true', headers: { ...ws, 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' }, want: { status: 500, body: 'container not found ("pending")' } },
      { name: 'exec without streams', path: '/exec/default/web/app?command=true', headers: { ...ws, 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' }, want: { status: 400, body: 'you must specify at least 1 of stdin, stdout, stderr' } },
      { name: 'exec offering no known protocol', path: '/exec/default/web/app?command=true&stdout=true', headers: { ...ws, 'Sec-WebSocket-Protocol': 'base64.channel.k8s.io' }, want: { status: 400, body: 'unable to upgrade: no supported protocol offered; supported: v5.channel.k8s.io, v4.channel.k8s.io' } },
      { name: 'port-forward into an unknown pod', path: '/portForward/default/nope', headers: { ...ws, 'Sec-WebSocket-Protocol': 'SPDY/3.1+portforward.k8s.io' }, want: { status: 404, body: 'pod does not exist' } },
    ];
    for (const u of upgrades) assert.deepEqual(await get(server.port, u.path, tls, u.headers), u.want, u.name);

    await assert.rejects(get(server.port, '/healthz', { ca: ca.certPem }), 'a client without a certificate is refused');
    const stranger = await (await loadOrCreateCA(join(dir, 'other-ca'))).issue({ commonName: 'x', usage: 'client' });
    await assert.rejects(get(server.port, '/healthz', { ca: ca.certPem, cert: stranger.certPem, key: stranger.keyPem }), 'a certificate from another CA is refused');
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * A stand-in for containerd's streaming server: accepts the SPDY upgrade for remotecommand v4,
 * answers every stream, echoes stdin to stdout once stdin ends (or at its first bytes for v4
 * clients, which cannot end stdin), then writes the v4 exit status and closes, as the real one does.
 */
async function fakeStreamingServer(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = createHttpServer();
  server.on('upgrade', (req, socket, head) => {
    seen.push(`${req.method} ${req.url} ${String(req.headers['x-stream-protocol-version'])}`);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    const session = spdyOverSocket(socket, head);
    const streams: Record<string, SpdyStream> = {};
    session.on('stream', (s: SpdyStream) => {
      seen.push(`stream ${s.headers.streamtype}`);
      streams[s.headers.streamtype] = s;
      void s.reply();
      if (s.headers.streamtype !== 'stdin') return;
      let input = '';
      const finish = (): void => {
        streams.stdout.write(`got:${input}`);
        streams.error.end(JSON.stringify({ metadata: {}, status: 'Failure', message: 'command terminated with non-zero exit code: exit status 7', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '7' }] } }));
        setImmediate(() => socket.end());
      };
      s.on('data', (d: Buffer) => {
        input += d.toString();
        if (input.includes('\n')) finish();
      });
      s.on('end', finish);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/exec/token123`, seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

test('exec over WebSocket v5 and v4 is relayed to the runtime\'s SPDY remotecommand stream', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-kubelet-exec-'));
  const ca = await loadOrCreateCA(join(dir, 'ca'));
  const serving = await ca.issue({ commonName: 'node', hosts: ['127.0.0.1'], usage: 'server' });
  const client = await ca.issue({ commonName: 'apiserver-kubelet-client', usage: 'client' });
  const streaming = await fakeStreamingServer();
  const execs: ExecRequest[] = [];
  class StreamingFake extends FakeRuntime {
    exec(req: ExecRequest): Promise<string> {
      execs.push(req);
      return Promise.resolve(streaming.url);
    }
  }
  const rt = new StreamingFake();
  const image = rt.addImage('docker.io/library/busybox:1');
  const labels = { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': 'uid1' };
  const sandbox: PodSandboxConfig = { metadata: { name: 'web', namespace: 'default', uid: 'uid1', attempt: 0 }, labels };
  const sb = await rt.runPodSandbox(sandbox);
  const cid = await rt.createContainer(sb, { metadata: { name: 'app', attempt: 0 }, image, labels: { ...labels, 'io.kubernetes.container.name': 'app' } }, sandbox);
  await rt.startContainer(cid);
  const server = await startKubeletServer({
    listen: { host: '127.0.0.1', port: 0 }, tls: { caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem }, runtime: rt, rootDir: dir,
  });
  try {
    const cases = [
      { name: 'v5 ends stdin with the close signal', protocol: 'v5.channel.k8s.io', send: [Buffer.from('\x00abc'), Buffer.from([255, 0])], stdout: 'got:abc' },
      { name: 'v4 has no close signal; the command ends on its own', protocol: 'v4.channel.k8s.io', send: [Buffer.from('\x00line\n')], stdout: 'got:line\n' },
    ];
    for (const c of cases) {
      const ws = new WebSocket(`wss://127.0.0.1:${server.port}/exec/default/web/app?command=sh&command=-c&command=cat&stdin=true&stdout=true&stderr=true`, [c.protocol], {
        ca: ca.certPem, cert: client.certPem, key: client.keyPem,
      });
      const frames: Array<{ channel: number; text: string }> = [];
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      ws.on('message', (d: Buffer) => frames.push({ channel: d[0], text: d.subarray(1).toString() }));
      await new Promise<void>((resolve, reject) => { ws.on('open', () => resolve()); ws.on('error', reject); });
      assert.equal(ws.protocol, c.protocol, `${c.name}: the sub-protocol is echoed`);
      for (const m of c.send) ws.send(m);
      assert.equal(await closed, 1000, c.name);
      assert.deepEqual(frames.map((f) => f.channel), [1, 3], c.name);
      assert.equal(frames[0].text, c.stdout, c.name);
      const status = JSON.parse(frames[1].text);
      assert.equal(status.reason, 'NonZeroExitCode', c.name);
      assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '7' }], `${c.name}: the exit code reaches the client`);
    }
    assert.deepEqual(execs.map((e) => [e.containerId, e.cmd, e.stdin, e.stdout, e.stderr, e.tty]), [
      [cid, ['sh', '-c', 'cat'], true, true, true, false],
      [cid, ['sh', '-c', 'cat'], true, true, true, false],
    ]);
    assert.deepEqual(streaming.seen.slice(0, 5), ['POST /exec/token123 v4.channel.k8s.io', 'stream error', 'stream stdin', 'stream stdout', 'stream stderr']);
  } finally {
    await server.close();
    await streaming.close();
    await rm(dir, { recursive: true, force: true });
  }
});
