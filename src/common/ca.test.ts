import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { loadOrCreateCA, ensureLeaf, leafIsUsable } from './ca.js';

test('CA is created once and reloaded with the same certificate and hash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca-'));
  const a = await loadOrCreateCA(dir);
  const b = await loadOrCreateCA(dir);
  assert.equal(a.certPem, b.certPem);
  assert.equal(a.certHash, b.certHash);
  assert.match(a.certHash, /^[0-9a-f]{64}$/);
  assert.equal(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600);
});

test('a serving certificate from the CA passes a real TLS handshake for 127.0.0.1 and localhost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca-'));
  const ca = await loadOrCreateCA(dir);
  const leaf = await ensureLeaf(ca, dir, 'serving', { commonName: 'test', usage: 'server', hosts: ['127.0.0.1', 'localhost'] });
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (s) => s.end('hi'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    for (const servername of ['localhost', undefined]) {
      const got = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, ca: readFileSync(join(dir, 'ca.crt')), servername }, () => {
          let d = '';
          s.on('data', (c) => (d += c)).on('end', () => resolve(d));
        });
        s.on('error', reject);
      });
      assert.equal(got, 'hi');
    }
  } finally {
    server.close();
  }
});

test('ensureLeaf reissues when a host is not covered, and keeps a usable one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca-'));
  const ca = await loadOrCreateCA(dir);
  const a = await ensureLeaf(ca, dir, 's', { commonName: 's', usage: 'server', hosts: ['127.0.0.1'] });
  const b = await ensureLeaf(ca, dir, 's', { commonName: 's', usage: 'server', hosts: ['127.0.0.1'] });
  assert.equal(a.certPem, b.certPem);
  assert.equal(leafIsUsable(a.certPem, ca.certPem, ['127.0.1.5']), false);
  const c = await ensureLeaf(ca, dir, 's', { commonName: 's', usage: 'server', hosts: ['127.0.0.1', '127.0.1.5'] });
  assert.notEqual(a.certPem, c.certPem);
  assert.equal(leafIsUsable(c.certPem, ca.certPem, ['127.0.1.5', '127.0.0.1']), true);
  const other = await loadOrCreateCA(mkdtempSync(join(tmpdir(), 'ca-')));
  assert.equal(leafIsUsable(c.certPem, other.certPem, ['127.0.0.1']), false);
});
