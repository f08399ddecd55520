// EnsureImageExists against the FakeRuntime with an injected clock: reasons, the exact event
// texts, back-off timing and keying, credential order, serial pulls (reference kubelet-images.md
// §1.4, §2.2-2.6, §4.3).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BasicKeyring, type PullSecret } from '../credentials/index.js';
import { FakeRuntime } from '../runtime/fake/index.js';
import { RuntimeError } from '../runtime/types.js';
import { ImageManager, applyDefaultImageTag, evalCriPullError, type EnsureImageRequest, type ImageEvent, type PullPolicy } from './index.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function setup(opts: { node?: BasicKeyring; qps?: number; burst?: number } = {}) {
  const clock = { now: 1_700_000_000_000 };
  const rt = new FakeRuntime({ now: () => clock.now });
  const mgr = new ImageManager({ runtime: rt, nodeKeyring: opts.node ?? new BasicKeyring(), now: () => clock.now, puller: { qps: opts.qps ?? 0, burst: opts.burst } });
  const events: ImageEvent[] = [];
  const ensure = (req: Partial<EnsureImageRequest> & { image: string; pullPolicy: PullPolicy }) =>
    mgr.ensureImageExists({ podUid: 'uid-1', ...req }, (e) => events.push(e));
  return { clock, rt, mgr, events, ensure };
}

const NOT_FOUND = 'failed to pull and unpack image "docker.io/library/nginx:nope": failed to resolve reference "docker.io/library/nginx:nope": docker.io/library/nginx:nope: not found';

test('applyDefaultImageTag appends :latest textually, only without tag and digest', () => {
  const cases = [
    { name: 'bare name', image: 'busybox', want: 'busybox:latest' },
    { name: 'tag', image: 'nginx:1.14', want: 'nginx:1.14' },
    { name: 'registry with port, no tag', image: 'localhost:5000/app', want: 'localhost:5000/app:latest' },
    { name: 'digest only', image: `nginx@sha256:${'a'.repeat(64)}`, want: `nginx@sha256:${'a'.repeat(64)}` },
  ];
  for (const c of cases) assert.deepEqual(applyDefaultImageTag(c.image), { ok: true, image: c.want }, c.name);
});

test('policy decisions: reasons, events and whether the runtime pulls', async () => {
  const cases: { name: string; image: string; policy: PullPolicy; present?: string; inspectError?: string; wantOk: boolean; wantReason?: string; wantEvents: [string, string, string][]; wantPulls: string[] }[] = [
    {
      name: 'upper-case name is InvalidImageName with upstream text',
      image: 'Nginx', policy: 'IfNotPresent', wantOk: false, wantReason: 'InvalidImageName', wantPulls: [],
      wantEvents: [['Warning', 'InspectFailed', 'Failed to apply default image tag "Nginx": couldn\'t parse image name "Nginx": invalid reference format: repository name (library/Nginx) must be lowercase']],
    },
    {
      name: 'Never with the image absent',
      image: 'nginx:1.14', policy: 'Never', wantOk: false, wantReason: 'ErrImageNeverPull', wantPulls: [],
      wantEvents: [['Warning', 'ErrImageNeverPull', 'Container image "nginx:1.14" is not present with pull policy of Never']],
    },
    {
      name: 'Never with the image present',
      image: 'nginx:1.14', policy: 'Never', present: 'nginx:1.14', wantOk: true, wantPulls: [],
      wantEvents: [['Normal', 'Pulled', 'Container image "nginx:1.14" already present on machine']],
    },
    {
      name: 'IfNotPresent with the image present does not pull',
      image: 'nginx', policy: 'IfNotPresent', present: 'nginx:latest', wantOk: true, wantPulls: [],
      wantEvents: [['Normal', 'Pulled', 'Container image "nginx" already present on machine']],
    },
    {
      name: 'IfNotPresent with the image absent pulls the defaulted tag',
      image: 'nginx', policy: 'IfNotPresent', wantOk: true, wantPulls: ['nginx:latest'],
      wantEvents: [['Normal', 'Pulling', 'Pulling image "nginx"'], ['Normal', 'Pulled', 'Successfully pulled image "nginx" in 0s (0s including waiting). Image size: 1024 bytes.']],
    },
    {
      name: 'Always pulls even when present',
      image: 'nginx', policy: 'Always', present: 'nginx:latest', wantOk: true, wantPulls: ['nginx:latest'],
      wantEvents: [['Normal', 'Pulling', 'Pulling image "nginx"'], ['Normal', 'Pulled', 'Successfully pulled image "nginx" in 0s (0s including waiting). Image size: 1024 bytes.']],
    },
    {
      name: 'a failing ImageStatus is ImageInspectError with upstream\'s empty quotes',
      image: 'nginx:1.14', policy: 'IfNotPresent', inspectError: 'connection refused', wantOk: false, wantReason: 'ImageInspectError', wantPulls: [],
      wantEvents: [['Warning', 'InspectFailed', 'Failed to inspect image "": rpc error: code = Unavailable desc = connection refused']],
    },
  ];
  for (const c of cases) {
    const { rt, events, ensure } = setup();
    if (c.present) rt.addImage(c.present);
    if (c.inspectError) rt.failNext.set('imageStatus', [new RuntimeError('Unavailable', c.inspectError)]);
    const r = await ensure({ image: c.image, pullPolicy: c.policy });
    assert.equal(r.ok, c.wantOk, c.name);
    if (!r.ok) {
      assert.equal(r.reason, c.wantReason, c.name);
      assert.equal(r.message, c.wantEvents[0][2], `${c.name}: the waiting message is the event text`);
    }
    assert.deepEqual(events.map((e) => [e.type, e.reason, e.message]), c.wantEvents, c.name);
    assert.deepEqual(rt.callsOf('pullImage').map((x) => x.args[0]), c.wantPulls, c.name);
  }
});

test('a failed pull: Failed event with the CRI text, ErrImagePull, then ImagePullBackOff until 10s, 20s, 40s... pass', async () => {
  const { clock, rt, events, ensure } = setup();
  rt.pullHook = () => new RuntimeError('NotFound', NOT_FOUND);
  const raw = `rpc error: code = NotFound desc = ${NOT_FOUND}`;

  const first = await ensure({ image: 'nginx:nope', pullPolicy: 'IfNotPresent' });
  assert.deepEqual(first, { ok: false, reason: 'ErrImagePull', message: raw });
  assert.deepEqual(events.splice(0).map((e) => [e.type, e.reason, e.message]), [
    ['Normal', 'Pulling', 'Pulling image "nginx:nope"'],
    ['Warning', 'Failed', `Failed to pull image "nginx:nope": ${raw}`],
  ]);

  clock.now += 5_000;
  const during = await ensure({ image: 'nginx:nope', pullPolicy: 'IfNotPresent' });
  assert.deepEqual(during, { ok: false, reason: 'ImagePullBackOff', message: `Back-off pulling image "nginx:nope": ErrImagePull: ${raw}` });
  assert.deepEqual(events.splice(0).map((e) => [e.type, e.reason, e.message]), [['Normal', 'BackOff', 'Back-off pulling image "nginx:nope"']],
    'the BackOff event is Normal and carries no error');

  // Retry instants as a pod worker resyncing every second would see them.
  const attempts: number[] = [0];
  const start = clock.now - 5_000;
  for (let t = 6_000; t <= 700_000 && attempts.length < 7; t += 1_000) {
    clock.now = start + t;
    const r = await ensure({ image: 'nginx:nope', pullPolicy: 'IfNotPresent' });
    if (r.ok === false && r.reason === 'ErrImagePull') attempts.push(t / 1000);
  }
  const gaps = attempts.slice(1).map((a, i) => a - attempts[i]);
  assert.deepEqual(gaps, [10, 20, 40, 80, 160, 300]);
  assert.equal(rt.callsOf('pullImage').length, 7);
});

test('back-off is keyed by pod UID and the image string as written', async () => {
  const { rt, ensure } = setup();
  rt.pullHook = () => new RuntimeError('NotFound', 'not found');
  await ensure({ image: 'nginx:nope', pullPolicy: 'Always' });
  const cases = [
    { name: 'same pod, same string: backing off', podUid: 'uid-1', image: 'nginx:nope', want: 'ImagePullBackOff' },
    { name: 'another pod pulls at once', podUid: 'uid-2', image: 'nginx:nope', want: 'ErrImagePull' },
    { name: 'same image written differently pulls at once', podUid: 'uid-1', image: 'docker.io/library/nginx:nope', want: 'ErrImagePull' },
  ];
  for (const c of cases) {
    const r = await ensure({ podUid: c.podUid, image: c.image, pullPolicy: 'Always' });
    assert.equal(r.ok ? 'ok' : r.reason, c.want, c.name);
  }
});

test('successful pull message: durations truncated to ms, waiting included, size from ImageStatus', async () => {
  const { clock, rt, events, ensure } = setup();
  rt.pulledImageSize = 187_654_321;
  rt.pullHook = () => {
    clock.now += 1561.7;
    return undefined;
  };
  const r = await ensure({ image: 'nginx', pullPolicy: 'Always' });
  assert.equal(r.ok, true);
  assert.equal(events.at(-1)?.message, 'Successfully pulled image "nginx" in 1.561s (1.561s including waiting). Image size: 187654321 bytes.');
});

test('serial pulls: the second pull waits for the first and says so', async () => {
  const { clock, rt, events, mgr } = setup();
  let releaseFirst!: () => void;
  const firstGate = new Promise<void>((r) => (releaseFirst = r));
  rt.pullHook = async (image) => {
    if (image === 'big:1') {
      await firstGate;
      clock.now += 2000;
    } else {
      clock.now += 500;
    }
    return undefined;
  };
  const evA: ImageEvent[] = [];
  const evB: ImageEvent[] = [];
  const a = mgr.ensureImageExists({ podUid: 'a', image: 'big:1', pullPolicy: 'IfNotPresent' }, (e) => evA.push(e));
  const b = mgr.ensureImageExists({ podUid: 'b', image: 'small:1', pullPolicy: 'IfNotPresent' }, (e) => evB.push(e));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(rt.callsOf('pullImage').map((c) => c.args[0]), ['big:1'], 'only one pull at a time');
  releaseFirst();
  await Promise.all([a, b]);
  assert.equal(evA.at(-1)?.message, 'Successfully pulled image "big:1" in 2s (2s including waiting). Image size: 1024 bytes.');
  assert.equal(evB.at(-1)?.message, 'Successfully pulled image "small:1" in 500ms (2.5s including waiting). Image size: 1024 bytes.');
  assert.equal(events.length, 0);
});

test('credentials: pod secrets first, each tried in order, no anonymous retry, errors aggregated', async () => {
  const secret = (auths: object): PullSecret => ({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) } });
  const denied = (who: string) => new RuntimeError('Unknown', `failed to pull and unpack image "hub.test.com/library/nginx:v1": ${who}: 401 Unauthorized`);
  const node = new BasicKeyring().add([['hub.test.com', { username: 'node', password: 'np', email: '' }]]);
  const cases: { name: string; secrets: PullSecret[]; accept?: string; wantTried: (string | undefined)[]; wantReason?: string; wantMessage?: string }[] = [
    {
      name: 'no credentials match: one anonymous pull',
      secrets: [], accept: undefined, wantTried: [undefined],
    },
    {
      name: 'pod secret works: node credentials never tried',
      secrets: [secret({ 'hub.test.com': { auth: b64('admin:Harbor12345') } })], accept: 'admin', wantTried: ['admin'],
    },
    {
      name: 'pod secret wrong, node credentials work',
      secrets: [secret({ 'hub.test.com': { auth: b64('admin:wrong') } })], accept: 'node', wantTried: ['admin', 'node'],
    },
    {
      name: 'all wrong: no anonymous retry, aggregate in brackets',
      secrets: [secret({ 'hub.test.com': { auth: b64('admin:wrong') } })], accept: 'nobody', wantTried: ['admin', 'node'],
      wantReason: 'ErrImagePull',
      wantMessage: `[rpc error: code = Unknown desc = failed to pull and unpack image "hub.test.com/library/nginx:v1": admin: 401 Unauthorized, rpc error: code = Unknown desc = failed to pull and unpack image "hub.test.com/library/nginx:v1": node: 401 Unauthorized]`,
    },
    {
      name: 'malformed secret fails the pull with the parse error',
      secrets: [secret({ 'hub.test.com': { auth: b64('nocolon') } })], wantTried: [],
      wantReason: 'ErrImagePull', wantMessage: 'unable to parse auth field, must be formatted as base64(username:password)',
    },
  ];
  for (const c of cases) {
    const nodeRing = c.name.startsWith('no credentials') ? new BasicKeyring() : node;
    const { rt, events, ensure } = setup({ node: nodeRing });
    rt.pullHook = (_image, auth) => (auth?.username === c.accept ? undefined : denied(auth?.username ?? 'anonymous'));
    const r = await ensure({ image: 'hub.test.com/library/nginx:v1', pullPolicy: 'IfNotPresent', pullSecrets: c.secrets });
    const tried = rt.callsOf('pullImage').map((x) => (x.args[1] as { username?: string } | undefined)?.username);
    assert.deepEqual(tried, c.wantTried, c.name);
    for (const call of rt.callsOf('pullImage')) {
      const auth = call.args[1] as { serverAddress?: string } | undefined;
      assert.equal(auth?.serverAddress, undefined, `${c.name}: server_address left empty for containerd`);
    }
    if (c.wantReason) {
      assert.deepEqual(r, { ok: false, reason: c.wantReason, message: c.wantMessage }, c.name);
      assert.equal(events.at(-1)?.message, `Failed to pull image "hub.test.com/library/nginx:v1": ${c.wantMessage}`, c.name);
    } else {
      assert.equal(r.ok, true, c.name);
    }
  }
});

test('registry QPS: over the burst a pull fails at once with "pull QPS exceeded"', async () => {
  const { rt, ensure } = setup({ qps: 5, burst: 2 });
  const reasons: string[] = [];
  for (const podUid of ['p1', 'p2', 'p3']) {
    const r = await ensure({ podUid, image: 'nginx', pullPolicy: 'Always' });
    reasons.push(r.ok ? 'ok' : `${r.reason}: ${r.message}`);
  }
  assert.deepEqual(reasons, ['ok', 'ok', 'ErrImagePull: pull QPS exceeded']);
  assert.equal(rt.callsOf('pullImage').length, 2);
});

test('evalCriPullError maps CRI sentinel prefixes, everything else is ErrImagePull', () => {
  const cases = [
    { name: 'registry unavailable', err: 'RegistryUnavailable: dial tcp: refused', want: { reason: 'RegistryUnavailable', message: 'image pull failed for x:1 because the registry is unavailable: dial tcp: refused' } },
    { name: 'signature', err: 'SignatureValidationFailed', want: { reason: 'SignatureValidationFailed', message: 'image pull failed for x:1 because the signature validation failed' } },
    { name: 'plain containerd error', err: 'rpc error: code = NotFound desc = nope', want: { reason: 'ErrImagePull', message: 'rpc error: code = NotFound desc = nope' } },
  ];
  for (const c of cases) assert.deepEqual(evalCriPullError('x:1', c.err), c.want, c.name);
});
