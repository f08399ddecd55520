import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPullPolicy, familiarName, parseImageName, parseNormalizedReference } from './image-reference.js';

const H = 'a'.repeat(64);

// kubelet-images.md §1.1 (SetDefaults_Container table).
const policies: Array<{ name: string; image: string; want: string }> = [
  { name: 'no tag', image: 'nginx', want: 'Always' },
  { name: ':latest', image: 'nginx:latest', want: 'Always' },
  { name: 'fully qualified :latest', image: 'docker.io/library/nginx:latest', want: 'Always' },
  { name: 'version tag', image: 'nginx:1.25', want: 'IfNotPresent' },
  { name: 'mylatest is not latest', image: 'nginx:mylatest', want: 'IfNotPresent' },
  { name: 'Latest upper-case tag', image: 'nginx:Latest', want: 'IfNotPresent' },
  { name: 'digest only', image: `nginx@sha256:${H}`, want: 'IfNotPresent' },
  { name: 'latest tag plus digest', image: `nginx:latest@sha256:${H}`, want: 'Always' },
  { name: 'unparsable upper case', image: 'Nginx', want: 'IfNotPresent' },
  { name: 'unparsable a::b', image: 'a::b', want: 'IfNotPresent' },
  { name: 'empty', image: '', want: 'IfNotPresent' },
  { name: 'private registry no tag', image: 'localhost:5000/app', want: 'Always' },
];
for (const c of policies) {
  test(`defaultPullPolicy: ${c.name}`, () => assert.equal(defaultPullPolicy(c.image), c.want));
}

// kubelet-images.md §1.3 normalisation rules.
const names: Array<{ name: string; image: string; full: string; familiar: string; tag?: string; digest?: string }> = [
  { name: 'single component', image: 'ubuntu', full: 'docker.io/library/ubuntu', familiar: 'ubuntu' },
  { name: 'docker.io one segment', image: 'docker.io/ubuntu', full: 'docker.io/library/ubuntu', familiar: 'ubuntu' },
  { name: 'index.docker.io canonicalized', image: 'index.docker.io/library/busybox:1.36', full: 'docker.io/library/busybox', familiar: 'busybox', tag: '1.36' },
  { name: 'user repo on hub', image: 'user/app:v1', full: 'docker.io/user/app', familiar: 'user/app', tag: 'v1' },
  { name: 'host with dot', image: 'quay.io/org/img', full: 'quay.io/org/img', familiar: 'quay.io/org/img' },
  { name: 'host with port', image: 'localhost:5000/app:dev', full: 'localhost:5000/app', familiar: 'localhost:5000/app', tag: 'dev' },
  { name: 'localhost', image: 'localhost/app', full: 'localhost/app', familiar: 'localhost/app' },
  { name: 'upper-case first component is a host', image: 'Registry/app', full: 'Registry/app', familiar: 'Registry/app' },
  { name: 'ip host', image: '127.0.0.1:5000/library/nginx@sha256:' + H, full: '127.0.0.1:5000/library/nginx', familiar: '127.0.0.1:5000/library/nginx', digest: 'sha256:' + H },
  { name: 'separators', image: 'a/b__c.d-e---f', full: 'docker.io/a/b__c.d-e---f', familiar: 'a/b__c.d-e---f' },
];
for (const c of names) {
  test(`parseNormalizedReference: ${c.name}`, () => {
    const r = parseNormalizedReference(c.image);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.ref.name, c.full);
    assert.equal(familiarName(r.ref), c.familiar);
    assert.equal(r.ref.tag, c.tag);
    assert.equal(r.ref.digest, c.digest);
  });
}

const errors: Array<{ name: string; image: string; error: string }> = [
  { name: 'upper case repository', image: 'Nginx', error: 'invalid reference format: repository name (library/Nginx) must be lowercase' },
  { name: 'upper case with tag', image: 'Nginx:1.0', error: 'invalid reference format: repository name (library/Nginx) must be lowercase' },
  { name: 'double colon', image: 'a::b', error: 'invalid reference format' },
  { name: 'url scheme', image: 'https://reg/x:1', error: 'invalid reference format' },
  { name: 'a:b:c', image: 'a:b:c', error: 'invalid reference format' },
  { name: 'empty', image: '', error: 'invalid reference format' },
  { name: 'bare 64-hex', image: H, error: `invalid repository name (${H}), cannot specify 64-byte hexadecimal strings` },
  { name: 'short digest', image: 'nginx@sha256:abc', error: 'invalid reference format' },
  { name: 'wrong digest length', image: `nginx@sha256:${'a'.repeat(40)}`, error: 'invalid checksum digest length' },
  { name: 'unknown digest algorithm', image: `nginx@md5:${'a'.repeat(32)}`, error: 'unsupported digest algorithm' },
  { name: 'tag too long', image: `nginx:${'a'.repeat(129)}`, error: 'invalid reference format' },
  { name: 'name too long', image: `x/${'a'.repeat(260)}`, error: 'repository name must not be more than 255 characters' },
  { name: 'trailing slash', image: 'nginx/', error: 'invalid reference format' },
];
for (const c of errors) {
  test(`parseNormalizedReference error: ${c.name}`, () => {
    const r = parseNormalizedReference(c.image);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error, c.error);
  });
}

test('parseImageName: kubelet error wording and implied latest', () => {
  assert.deepEqual(parseImageName('busybox'), { ok: true, repository: 'docker.io/library/busybox', tag: 'latest', digest: '' });
  assert.deepEqual(parseImageName(`busybox@sha256:${H}`), { ok: true, repository: 'docker.io/library/busybox', tag: '', digest: `sha256:${H}` });
  assert.deepEqual(parseImageName('Nginx'), {
    ok: false,
    error: 'couldn\'t parse image name "Nginx": invalid reference format: repository name (library/Nginx) must be lowercase',
  });
});
