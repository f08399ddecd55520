import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CONTENT_SECURITY_POLICY, createConsoleHandler } from './index.js';

const INDEX = '<!doctype html><title>console</title>';
const JS = 'console.log(1)';
const CSS = 'body{}';

function serve(assetsDir: string): Promise<Server> {
  const handle = createConsoleHandler({ assetsDir });
  const server = createServer((req, res) => {
    void handle(req, res).then((done) => {
      if (!done) res.writeHead(404, { 'X-Declined': '1' }).end('declined');
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

function get(server: Server, method: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('console handler', () => {
  let dir: string;
  let built: Server;
  let empty: Server;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-console-'));
    mkdirSync(join(dir, 'built', 'assets'), { recursive: true });
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'built', 'index.html'), INDEX);
    writeFileSync(join(dir, 'built', 'assets', 'app-ABC123.js'), JS);
    writeFileSync(join(dir, 'built', 'assets', 'app-ABC123.css'), CSS);
    writeFileSync(join(dir, 'built', 'secret.txt'), 'not an asset');
    built = await serve(join(dir, 'built'));
    empty = await serve(join(dir, 'empty'));
  });

  after(async () => {
    await new Promise((r) => built.close(r));
    await new Promise((r) => empty.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: { name: string; method?: string; path: string; status: number; type?: string; cache?: string; body?: string; declined?: boolean }[] = [
    { name: 'the root is the app', path: '/', status: 200, type: 'text/html; charset=utf-8', cache: 'no-cache', body: INDEX },
    { name: 'an app route deep link gets index.html', path: '/harbor/projects/3/repositories/a%2Fb?page=2', status: 200, type: 'text/html; charset=utf-8', body: INDEX },
    { name: 'the sign-in route gets index.html', path: '/account/sign-in', status: 200, body: INDEX },
    { name: 'a hashed script is cached for a year', path: '/assets/app-ABC123.js', status: 200, type: 'text/javascript; charset=utf-8', cache: 'public, max-age=31536000, immutable', body: JS },
    { name: 'a hashed stylesheet is text/css', path: '/assets/app-ABC123.css', status: 200, type: 'text/css; charset=utf-8', body: CSS },
    { name: 'an unknown asset is 404, not the app', path: '/assets/app-NOPE.js', status: 404, cache: 'no-store' },
    { name: 'an encoded traversal is not an asset', path: '/assets/..%2fsecret.txt', status: 404, declined: true },
    { name: 'a file beside index.html is not served', path: '/secret.txt', status: 404, declined: true },
    { name: 'paths of other modules are declined', path: '/v3/whatever', status: 404, declined: true },
    { name: 'HEAD answers without a body', method: 'HEAD', path: '/', status: 200, body: '' },
    { name: 'POST to an app route is 405', method: 'POST', path: '/harbor/projects', status: 405 },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const r = await get(built, c.method ?? 'GET', c.path);
      assert.equal(r.status, c.status);
      assert.equal(r.headers['x-declined'] === '1', !!c.declined);
      if (c.type) assert.equal(r.headers['content-type'], c.type);
      if (c.cache) assert.equal(r.headers['cache-control'], c.cache);
      if (c.body !== undefined) assert.equal(r.body, c.body);
      if (!c.declined) {
        assert.equal(r.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
        assert.equal(r.headers['x-content-type-options'], 'nosniff');
        assert.equal(r.headers['x-frame-options'], 'DENY');
      }
    });
  }

  test('the policy allows no origin but this one and no inline script', () => {
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /https?:|\*|'unsafe-inline'|'unsafe-eval'/);
    assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'/);
    assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
  });

  test('an unbuilt console says how to build it', async () => {
    const r = await get(empty, 'GET', '/harbor/projects');
    assert.equal(r.status, 503);
    assert.match(r.body, /npm run build/);
  });
});
