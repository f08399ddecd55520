import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
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
