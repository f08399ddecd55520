// pods/log and pods/exec reach the pod's kubelet through the API server: a fake kubelet (HTTPS
// with a certificate from the cluster CA) answers container logs and a websocket exec; without a
// node or with the kubelet down the API server answers as upstream does.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import { startCoreServer, unusedPort, type CoreServer } from './core-fixtures.js';
import { ensureLeaf, loadOrCreateCA } from '../../src/common/ca.js';
import { readKubeAuth } from '../helpers/berth-server.js';

describe('API server core: pod log and exec through the kubelet', () => {
  let s: CoreServer;
  let kubelet: Server;
  let kubeletPort = 0;
  const seen: Array<{ path: string; cn: string }> = [];

  before(async () => {
    s = await startCoreServer();
    const ca = await loadOrCreateCA(join(s.dataDir, 'tls'));
    const leaf = await ensureLeaf(ca, join(s.dataDir, 'tls'), 'fake-kubelet', { commonName: 'node01', hosts: ['127.0.0.1'], usage: 'server' });
    kubelet = createServer({ cert: leaf.certPem, key: leaf.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      seen.push({ path: req.url ?? '', cn: String((req.socket as TLSSocket).getPeerCertificate().subject?.CN) });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('line 1\nline 2\n');
    });
    const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false) });
    kubelet.on('upgrade', (req, socket, head) => {
      seen.push({ path: req.url ?? '', cn: String((req.socket as TLSSocket).getPeerCertificate().subject?.CN) });
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.send(Buffer.concat([Buffer.from([1]), Buffer.from('hi\n')]));
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from('{"metadata":{},"status":"Success"}')]));
        ws.close(1000);
      });
    });
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', () => r()));
    const addr = kubelet.address();
    kubeletPort = typeof addr === 'object' && addr ? addr.port : 0;
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node01' } };
    assert.equal((await s.api.request('POST', '/api/v1/nodes', { body: node })).status, 201);
    const st = await s.api.request('GET', '/api/v1/nodes/node01');
    st.json.status = { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } } };
    assert.equal((await s.api.request('PUT', '/api/v1/nodes/node01/status', { body: st.json })).status, 200);
    for (const [name, nodeName] of [['bound', 'node01'], ['pending', ''], ['lost', 'node02']]) {
      await s.api.request('POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox' }, { name: 'side', image: 'busybox' }] } } });
      if (nodeName) await s.api.request('POST', `/api/v1/namespaces/default/pods/${name}/binding`, { body: { target: { kind: 'Node', name: nodeName } } });
    }
    const lostNode = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node02' } };
    await s.api.request('POST', '/api/v1/nodes', { body: lostNode });
    const l = await s.api.request('GET', '/api/v1/nodes/node02');
    l.json.status = { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: await unusedPort() } } };
    await s.api.request('PUT', '/api/v1/nodes/node02/status', { body: l.json });
  });
  after(async () => {
    kubelet?.close();
    kubelet?.closeAllConnections();
    await s?.stop();
  });

  it('proxies logs to the kubelet with its client certificate and the query', async () => {
    const r = await s.api.request('GET', '/api/v1/namespaces/default/pods/bound/log?container=app&tailLines=2', { headers: { accept: '*/*' } });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, 'line 1\nline 2\n');
    assert.deepEqual(seen.at(-1), { path: '/containerLogs/default/bound/app?tailLines=2', cn: 'kube-apiserver-kubelet-client' });
  });

  const cases = [
    { name: 'no container named for a two-container pod', path: '/api/v1/namespaces/default/pods/bound/log', code: 400, message: 'a container name must be specified for pod bound, choose one of: [app side]' },
    { name: 'an unknown container', path: '/api/v1/namespaces/default/pods/bound/log?container=nope', code: 400, message: 'container nope is not valid for pod bound' },
    { name: 'a missing pod', path: '/api/v1/namespaces/default/pods/ghost/log?container=app', code: 404, message: 'pods "ghost" not found' },
  ];
  for (const c of cases) {
    it(`log: ${c.name}`, async () => {
      const r = await s.api.request('GET', c.path);
      assert.equal(r.status, c.code);
      assert.equal(r.json.message, c.message);
    });
  }

  it('log of a pod without a node is an empty 200, as upstream', async () => {
    const r = await s.api.request('GET', '/api/v1/namespaces/default/pods/pending/log?container=app');
    assert.equal(r.status, 200);
    assert.equal(r.body, '');
  });

  it('log with the kubelet down: 500 whose message is the dial error', async () => {
    const r = await s.api.request('GET', '/api/v1/namespaces/default/pods/lost/log?container=app');
    assert.equal(r.status, 500);
    assert.equal(r.json.reason, undefined);
    assert.match(r.json.message, /^Get "https:\/\/127\.0\.0\.1:\d+\/containerLogs\/default\/lost\/app": dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/);
  });

  it('exec: the websocket (v5.channel.k8s.io) is proxied to the kubelet', async () => {
    const auth = await readKubeAuth(s.server.kubeconfigPath);
    const u = new URL(s.server.url);
    const ws = new WebSocket(`wss://${u.host}/api/v1/namespaces/default/pods/bound/exec?command=echo&command=hi&container=app&stdout=true`, ['v5.channel.k8s.io'], { ca: auth.ca, cert: auth.cert, key: auth.key });
    const frames: Buffer[] = [];
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('message', (d: Buffer) => frames.push(Buffer.from(d)));
    const opened = await new Promise<boolean>((r) => { ws.on('open', () => r(true)); ws.on('error', () => r(false)); });
    assert.ok(opened);
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    assert.equal(await closed, 1000);
    assert.deepEqual(frames.map((f) => [f[0], f.subarray(1).toString()]), [[1, 'hi\n'], [3, '{"metadata":{},"status":"Success"}']]);
    assert.equal(seen.at(-1)?.path, '/exec/default/bound/app?command=echo&command=hi&stdout=true');
  });

  it('exec of an unscheduled pod: 400 pod does not have a host assigned', async () => {
    const auth = await readKubeAuth(s.server.kubeconfigPath);
    const u = new URL(s.server.url);
    const ws = new WebSocket(`wss://${u.host}/api/v1/namespaces/default/pods/pending/exec?command=true&container=app`, ['v5.channel.k8s.io'], { ca: auth.ca, cert: auth.cert, key: auth.key });
    const status = await new Promise<{ code: number; body: string }>((r) => ws.on('unexpected-response', (_req, res) => {
      let b = '';
      res.on('data', (c) => { b += c; });
      res.on('end', () => r({ code: res.statusCode ?? 0, body: b }));
    }));
    assert.equal(status.code, 400);
    assert.equal(JSON.parse(status.body).message, 'pod pending does not have a host assigned');
  });

  it('exec without credentials: 401', async () => {
    const u = new URL(s.server.url);
    const ws = new WebSocket(`wss://${u.host}/api/v1/namespaces/default/pods/bound/exec?command=true&container=app`, ['v5.channel.k8s.io'], { ca: s.server.caPem });
    const code = await new Promise<number>((r) => ws.on('unexpected-response', (_req, res) => { res.resume(); r(res.statusCode ?? 0); }));
    assert.equal(code, 401);
  });
});
