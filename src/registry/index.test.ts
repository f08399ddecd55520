import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureLeaf, loadOrCreateCA } from '../common/ca.js';
import { createRegistry } from './index.js';

function httpsGet(url: string, ca: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('createRegistry serves HTTPS with a certificate from the CA module, trusted through ca.crt', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-reg-index-'));
  try {
    const ca = await loadOrCreateCA(join(dir, 'tls'));
    const leaf = await ensureLeaf(ca, join(dir, 'tls'), 'registry', { commonName: 'berth-registry', hosts: ['127.0.0.1', 'localhost'], usage: 'server' });
    const reg = await createRegistry({ dataDir: join(dir, 'data'), harbor: 'none', tls: { cert: leaf.certPem, key: leaf.keyPem } });
    try {
      assert.match(reg.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const ping = await httpsGet(`${reg.url}/v2/`, ca.certPem);
      assert.equal(ping.status, 200);
      assert.equal(ping.headers['docker-distribution-api-version'], 'registry/2.0');
      const other = await httpsGet(`${reg.url}/api/v2.0/projects`, ca.certPem);
      assert.equal(other.status, 404);
      await assert.rejects(httpsGet(`${reg.url}/v2/`, (await loadOrCreateCA(join(dir, 'other-ca'))).certPem), /self.signed|unable to verify|certificate/i);
    } finally {
      await reg.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the memory driver serves the same API', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-reg-index-'));
  const reg = await createRegistry({ dataDir: dir, harbor: 'none', driver: 'memory' });
  try {
    const body = Buffer.from('in memory');
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const r = await fetch(`${reg.url}/v2/mem/repo/blobs/uploads/?digest=${digest}`, { method: 'POST', body });
    assert.equal(r.status, 201);
    const get = await fetch(`${reg.url}/v2/mem/repo/blobs/${digest}`, { headers: { range: 'bytes=3-' } });
    assert.equal(get.status, 206);
    assert.equal(await get.text(), 'memory');
  } finally {
    await reg.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a stored blob whose size no longer matches its link (a file cut short by a machine crash) is 404 BLOB_UNKNOWN, never served', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-reg-index-'));
  const reg = await createRegistry({ dataDir: dir, harbor: 'none' });
  try {
    const body = Buffer.from('twenty bytes of blob');
    const hex = createHash('sha256').update(body).digest('hex');
    const r = await fetch(`${reg.url}/v2/fs/repo/blobs/uploads/?digest=sha256:${hex}`, { method: 'POST', body });
    assert.equal(r.status, 201);
    const whole = await fetch(`${reg.url}/v2/fs/repo/blobs/sha256:${hex}`);
    assert.equal(whole.status, 200);
    assert.equal(await whole.text(), body.toString());
    await truncate(join(dir, 'blobs', 'sha256', hex.slice(0, 2), hex), 0);
    for (const method of ['GET', 'HEAD']) {
      const cut = await fetch(`${reg.url}/v2/fs/repo/blobs/sha256:${hex}`, { method });
      assert.equal(cut.status, 404, method);
      if (method === 'GET') assert.equal(((await cut.json()) as { errors: Array<{ code: string }> }).errors[0].code, 'BLOB_UNKNOWN');
      else await cut.arrayBuffer();
    }
  } finally {
    await reg.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('manifests are answered byte for byte on repeated GETs and are gone once deleted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-reg-index-'));
  const reg = await createRegistry({ dataDir: dir, harbor: 'none' });
  try {
    const config = Buffer.from('{}');
    const cd = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    assert.equal((await fetch(`${reg.url}/v2/m/repo/blobs/uploads/?digest=${cd}`, { method: 'POST', body: config })).status, 201);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length }, layers: [] }));
    const md = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    const put = await fetch(`${reg.url}/v2/m/repo/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(put.status, 201);
    for (const ref of ['v1', md, 'v1']) {
      const get = await fetch(`${reg.url}/v2/m/repo/manifests/${ref}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(get.status, 200, ref);
      assert.equal(get.headers.get('docker-content-digest'), md);
      assert.deepEqual(Buffer.from(await get.arrayBuffer()), manifest, ref);
    }
    assert.equal((await fetch(`${reg.url}/v2/m/repo/manifests/${md}`, { method: 'DELETE' })).status, 202);
    const gone = await fetch(`${reg.url}/v2/m/repo/manifests/${md}`);
    assert.equal(gone.status, 404);
    assert.equal(((await gone.json()) as { errors: Array<{ code: string }> }).errors[0].code, 'MANIFEST_UNKNOWN');
  } finally {
    await reg.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('HTTPS blob GETs: AES-128-GCM is chosen over the client\'s AES-256 preference, and multi-MiB blobs and ranges come back byte for byte', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-reg-index-'));
  try {
    const ca = await loadOrCreateCA(join(dir, 'tls'));
    const leaf = await ensureLeaf(ca, join(dir, 'tls'), 'registry', { commonName: 'berth-registry', hosts: ['127.0.0.1'], usage: 'server' });
    const reg = await createRegistry({ dataDir: join(dir, 'data'), harbor: 'none', tls: { cert: leaf.certPem, key: leaf.keyPem } });
    try {
      // 3.5 MiB of patterned bytes: several 1 MiB read chunks, the last one partial.
      const body = Buffer.alloc(3.5 * 1024 * 1024);
      for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 12)) % 256;
      const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
      const put = await httpsCall(`${reg.url}/v2/big/repo/blobs/uploads/?digest=${digest}`, ca.certPem, { method: 'POST', body });
      assert.equal(put.status, 201);
      const cases = [
        { name: 'whole blob', range: undefined, status: 200, want: body },
        { name: 'range across a chunk edge', range: 'bytes=1048570-2097160', status: 206, want: body.subarray(1048570, 2097161) },
        { name: 'suffix range', range: 'bytes=-10', status: 206, want: body.subarray(body.length - 10) },
      ];
      for (const c of cases) {
        const got = await httpsCall(`${reg.url}/v2/big/repo/blobs/${digest}`, ca.certPem, { headers: c.range ? { range: c.range } : {} });
        assert.equal(got.status, c.status, c.name);
        assert.equal(got.cipher, 'TLS_AES_128_GCM_SHA256', c.name);
        assert.equal(got.body.length, c.want.length, c.name);
        assert.ok(got.body.equals(c.want), `${c.name}: bytes differ`);
      }
    } finally {
      await reg.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

function httpsCall(url: string, ca: string, opts: { method?: string; body?: Buffer; headers?: Record<string, string> }): Promise<{ status: number; body: Buffer; cipher?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false, method: opts.method ?? 'GET', headers: { ...opts.headers, ...(opts.body ? { 'content-length': String(opts.body.length) } : {}) } }, (res) => {
      const cipher = (res.socket as import('node:tls').TLSSocket).getCipher().name;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), cipher }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
