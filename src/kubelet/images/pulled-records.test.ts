// Private images stay private on a shared node (KEP-2535 semantics, reference kubelet-images.md
// §5.3): the image manager with pull records, over the FakeRuntime.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BasicKeyring, type PullSecret } from '../credentials/index.js';
import { FakeRuntime } from '../runtime/fake/index.js';
import { RuntimeError } from '../runtime/types.js';
import {
  FsPullRecordStore, ImageManager, MemoryPullRecordStore, allowlisted, type ImageEvent, type PullPolicy, type PullRecordStore, type VerificationPolicy,
} from './index.js';

const PRIVATE = 'hub.test.com/library/nginx:v1';
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const secret = (namespace: string, name: string, uid: string, user = 'admin', password = 'Harbor12345'): PullSecret => ({
  metadata: { namespace, name, uid }, type: 'kubernetes.io/dockerconfigjson',
  data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { 'hub.test.com': { auth: b64(`${user}:${password}`) } } })) },
});

function node(policy: VerificationPolicy = 'NeverVerifyPreloadedImages', store: PullRecordStore = new MemoryPullRecordStore(), rt = new FakeRuntime()) {
  // The registry: hub.test.com is private (admin/Harbor12345); everything else is public.
  rt.pullHook = (image, auth) => {
    if (!image.startsWith('hub.test.com/')) return undefined;
    return auth?.username === 'admin' && auth.password === 'Harbor12345'
      ? undefined
      : new RuntimeError('Unknown', `failed to pull and unpack image "${image}": failed to resolve reference "${image}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`);
  };
  const mgr = new ImageManager({ runtime: rt, nodeKeyring: new BasicKeyring(), verification: { policy, store }, puller: { qps: 0 } });
  const run = async (podUid: string, image: string, pullPolicy: PullPolicy, pullSecrets: PullSecret[] = []) => {
    const events: ImageEvent[] = [];
    const r = await mgr.ensureImageExists({ podUid, image, pullPolicy, pullSecrets }, (e) => events.push(e));
    return { r, events: events.map((e) => e.reason), pulls: rt.callsOf('pullImage').length };
  };
  return { rt, mgr, run, store };
}

test('a private image pulled with a pod secret is not usable by other pods without verified credentials', async () => {
  const { run, rt } = node();
  const first = await run('a1', PRIVATE, 'IfNotPresent', [secret('team-a', 'regcred', 's-a')]);
  assert.equal(first.r.ok, true);
  assert.equal(rt.callsOf('pullImage').length, 1);

  const cases: { name: string; uid: string; policy: PullPolicy; secrets: PullSecret[]; wantOk: boolean; wantReason?: string; wantEvents: string[]; wantPull: boolean }[] = [
    { name: 'same secret coordinates: cached image used', uid: 'a2', policy: 'IfNotPresent', secrets: [secret('team-a', 'regcred', 's-a')], wantOk: true, wantEvents: ['Pulled'], wantPull: false },
    { name: 'other namespace, no secret, IfNotPresent: must pull and fails', uid: 'b1', policy: 'IfNotPresent', secrets: [], wantOk: false, wantReason: 'ErrImagePull', wantEvents: ['Pulling', 'Failed'], wantPull: true },
    { name: 'other namespace, no secret, Never: as if absent', uid: 'b2', policy: 'Never', secrets: [], wantOk: false, wantReason: 'ErrImageNeverPull', wantEvents: ['ErrImageNeverPull'], wantPull: false },
    { name: 'other namespace, wrong credentials: must pull and fails', uid: 'b3', policy: 'IfNotPresent', secrets: [secret('team-b', 'bad', 's-b', 'admin', 'nope')], wantOk: false, wantReason: 'ErrImagePull', wantEvents: ['Pulling', 'Failed'], wantPull: true },
    { name: 'other namespace, same credentials in another secret: hash matches, no pull', uid: 'c1', policy: 'Never', secrets: [secret('team-c', 'copy', 's-c')], wantOk: true, wantEvents: ['Pulled'], wantPull: false },
    { name: 'Always is unchanged: pulls with the pod credentials', uid: 'a3', policy: 'Always', secrets: [secret('team-a', 'regcred', 's-a')], wantOk: true, wantEvents: ['Pulling', 'Pulled'], wantPull: true },
  ];
  for (const c of cases) {
    const before = rt.callsOf('pullImage').length;
    const { r, events } = await run(c.uid, PRIVATE, c.policy, c.secrets);
    assert.equal(r.ok, c.wantOk, c.name);
    if (!r.ok) assert.equal(r.reason, c.wantReason, c.name);
    if (!r.ok && r.reason === 'ErrImageNeverPull') assert.equal(r.message, `Container image "${PRIVATE}" is not present with pull policy of Never`, `${c.name}: presence is not leaked`);
    assert.deepEqual(events, c.wantEvents, c.name);
    assert.equal(rt.callsOf('pullImage').length > before, c.wantPull, c.name);
  }
});

test('anonymous pulls and preloaded images are usable by every pod; policies decide', async () => {
  const cases: { name: string; policy: VerificationPolicy; setup: (n: ReturnType<typeof node>) => Promise<void>; image: string; wantPull: boolean }[] = [
    { name: 'pulled anonymously: node-wide', policy: 'NeverVerifyPreloadedImages', setup: async (n) => void (await n.run('x', 'nginx:1.14', 'IfNotPresent')), image: 'nginx:1.14', wantPull: false },
    { name: 'preloaded (no record) under NeverVerifyPreloadedImages', policy: 'NeverVerifyPreloadedImages', setup: async (n) => void n.rt.addImage('nginx:1.14'), image: 'nginx:1.14', wantPull: false },
    { name: 'preloaded under AlwaysVerify: verified by a pull', policy: 'AlwaysVerify', setup: async (n) => void n.rt.addImage('nginx:1.14'), image: 'nginx:1.14', wantPull: true },
    { name: 'preloaded but not on the allowlist', policy: 'NeverVerifyAllowlistedImages', setup: async (n) => void n.rt.addImage('nginx:1.14'), image: 'nginx:1.14', wantPull: true },
    {
      name: 'a pull interrupted mid-way (intent left) is re-verified', policy: 'NeverVerifyPreloadedImages',
      setup: async (n) => {
        n.rt.addImage('nginx:1.14');
        n.store.writeIntent('nginx:1.14');
      },
      image: 'nginx:1.14', wantPull: true,
    },
    {
      name: 'NeverVerify is upstream 1.32: a private image is shared', policy: 'NeverVerify',
      setup: async (n) => void (await n.run('a', PRIVATE, 'IfNotPresent', [secret('team-a', 'regcred', 's-a')])), image: PRIVATE, wantPull: false,
    },
  ];
  for (const c of cases) {
    const n = node(c.policy);
    await c.setup(n);
    const before = n.rt.callsOf('pullImage').length;
    await n.run('other-pod', c.image, 'IfNotPresent');
    assert.equal(n.rt.callsOf('pullImage').length > before, c.wantPull, c.name);
  }
});

test('records on disk survive a restart; an unreadable record fails safe', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-records-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rt = new FakeRuntime();
  const a = node('NeverVerifyPreloadedImages', new FsPullRecordStore(dir), rt);
  assert.equal((await a.run('a1', PRIVATE, 'IfNotPresent', [secret('team-a', 'regcred', 's-a')])).r.ok, true);
  assert.deepEqual(readdirSync(join(dir, 'pulling')), [], 'the intent is removed after the pull');
  const [recordFile] = readdirSync(join(dir, 'pulled'));
  assert.match(recordFile, /^sha256-[0-9a-f]{64}$/);

  const b = node('NeverVerifyPreloadedImages', new FsPullRecordStore(dir), rt);
  const again = await b.run('b1', PRIVATE, 'Never', []);
  assert.equal(again.r.ok ? 'ok' : again.r.reason, 'ErrImageNeverPull', 'the restarted kubelet still refuses the pod without credentials');
  const same = await b.run('a2', PRIVATE, 'Never', [secret('team-a', 'regcred', 's-a')]);
  assert.equal(same.r.ok, true, 'and still admits the pod with the recorded secret');

  writeFileSync(join(dir, 'pulled', recordFile), '{not json');
  const c = await b.run('a3', PRIVATE, 'Never', [secret('team-a', 'regcred', 's-a')]);
  assert.equal(c.r.ok ? 'ok' : c.r.reason, 'ErrImageNeverPull', 'an unreadable record means verify');
});

test('records hold hashes, never credentials', async () => {
  const store = new MemoryPullRecordStore();
  const n = node('NeverVerifyPreloadedImages', store);
  await n.run('a1', PRIVATE, 'IfNotPresent', [secret('team-a', 'regcred', 's-a')]);
  const text = JSON.stringify([...store.pulled.values()]);
  assert.equal(text.includes('Harbor12345'), false);
  assert.equal(text.includes(b64('admin:Harbor12345')), false);
  const rec = [...store.pulled.values()][0];
  assert.deepEqual(Object.keys(rec.credentialMapping), ['hub.test.com/library/nginx']);
  assert.deepEqual(rec.credentialMapping['hub.test.com/library/nginx'].kubernetesSecretCoordinates?.map((k) => [k.namespace, k.name, k.uid]), [['team-a', 'regcred', 's-a']]);
});

test('allowlist entries: exact names and one-segment /* wildcards', () => {
  const cases = [
    { name: 'exact', repo: 'docker.io/library/nginx', list: ['docker.io/library/nginx'], want: true },
    { name: 'wildcard one segment', repo: 'docker.io/library/nginx', list: ['docker.io/library/*'], want: true },
    { name: 'wildcard is one segment only', repo: 'docker.io/library/a/b', list: ['docker.io/library/*'], want: false },
    { name: 'registry-wide', repo: 'hub.test.com/app', list: ['hub.test.com/*'], want: true },
    { name: 'no match', repo: 'quay.io/x', list: ['docker.io/library/*'], want: false },
  ];
  for (const c of cases) assert.equal(allowlisted(c.repo, c.list), c.want, c.name);
});
