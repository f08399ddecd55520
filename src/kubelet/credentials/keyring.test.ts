// Keyring behaviour as upstream's (k/k pkg/credentialprovider keyring_test.go, secrets_test.go,
// config_test.go; reference kubelet-images.md §4.3-4.4).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AUTH_FIELD_ERROR, BasicKeyring, NodeKeyring, NODE_CONFIG_CACHE_MS, decodeAuthField, isDefaultRegistryMatch, keyringKey,
  makePodKeyring, parseDockerConfigJson, parseDockercfg, readNodeDockerConfig, registriesAuthConfig, urlsMatch,
  type DockerConfig, type PullSecret,
} from './index.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const entry = (username: string, password = 'pw'): DockerConfig[number][1] => ({ username, password, email: '' });

test('urlsMatch: globs per label, equal ports and label counts, path string prefix (keyring_test TestURLsMatch)', () => {
  const cases = [
    { name: 'leading glob label', glob: '*.kubernetes.io', target: 'prefix.kubernetes.io', want: true },
    { name: 'middle glob label', glob: 'prefix.*.io', target: 'prefix.kubernetes.io', want: true },
    { name: 'trailing glob label', glob: 'prefix.kubernetes.*', target: 'prefix.kubernetes.io', want: true },
    { name: 'partial glob in a label', glob: '*-good.kubernetes.io', target: 'prefix-good.kubernetes.io', want: true },
    { name: 'app* glob', glob: 'app*.k8s.io', target: 'apps.k8s.io/x', want: true },
    { name: 'glob with path', glob: '*.kubernetes.io/blah', target: 'prefix.kubernetes.io/blah', want: true },
    { name: 'path prefix of a longer path', glob: 'prefix.*.io/foo', target: 'prefix.kubernetes.io/foo/bar', want: true },
    { name: 'schemes on both', glob: 'https://*.kubernetes.io', target: 'https://prefix.kubernetes.io', want: true },
    { name: 'glob with port', glob: 'prefix.*.io:8080', target: 'prefix.kubernetes.io:8080', want: true },
    { name: 'explicit 443 on both', glob: '*.kubernetes.io:443', target: 'prefix.kubernetes.io:443', want: true },
    { name: 'glob needs a label: fewer labels', glob: '*.kubernetes.io', target: 'kubernetes.io', want: false },
    { name: 'glob is one label: more labels', glob: '*.kubernetes.io', target: 'a.b.kubernetes.io', want: false },
    { name: 'port on key only', glob: 'hub.test.com:5000', target: 'hub.test.com/x', want: false },
    { name: 'port on image only', glob: 'hub.test.com', target: 'hub.test.com:5000/x', want: false },
    { name: 'different ports', glob: 'prefix.*.io:8080', target: 'prefix.kubernetes.io:8081', want: false },
    { name: 'explicit 443 is not the default port', glob: 'prefix.kubernetes.io:443', target: 'prefix.kubernetes.io', want: false },
    { name: 'different path', glob: 'registry:5000/path', target: 'registry:5000/other/img', want: false },
    { name: 'path without port', glob: 'registry:5000/path', target: 'registry/path/img', want: false },
    { name: 'path prefix is not segment aware', glob: 'reg/pa', target: 'reg/path/img', want: true },
    { name: 'plain host, image with path', glob: 'hub.test.com', target: 'hub.test.com/library/nginx', want: true },
    { name: 'other domain', glob: '*.kubernetes.io', target: 'prefix.k8s.io', want: false },
  ];
  for (const c of cases) assert.equal(urlsMatch(c.glob, c.target), c.want, c.name);
});

test('isDefaultRegistryMatch (keyring_test TestIsDefaultRegistryMatch)', () => {
  const cases = [
    { name: 'user/repo', image: 'foo/bar', want: true },
    { name: 'docker.io', image: 'docker.io/foo/bar', want: true },
    { name: 'index.docker.io', image: 'index.docker.io/foo/bar', want: true },
    { name: 'single name', image: 'foo', want: true },
    { name: 'empty', image: '', want: false },
    { name: 'dotted host', image: 'registry.tld/foo/bar', want: false },
    { name: 'host with port', image: 'registry:5000/foo/bar', want: false },
    { name: 'look-alike host', image: 'myhostdocker.io/foo/bar', want: false },
  ];
  for (const c of cases) assert.equal(isDefaultRegistryMatch(c.image), c.want, c.name);
});

test('keyringKey: scheme and /v1/ or /v2/ dropped, ports and paths kept', () => {
  const cases = [
    { name: 'kubectl default server', server: 'https://index.docker.io/v1/', want: 'index.docker.io' },
    { name: 'v2 path', server: 'https://quay.io/v2/', want: 'quay.io' },
    { name: 'host and port with path', server: 'registry:5000/path', want: 'registry:5000/path' },
    { name: 'http scheme', server: 'http://hub.test.com', want: 'hub.test.com' },
    { name: 'bare host', server: 'hub.test.com', want: 'hub.test.com' },
    { name: 'trailing slash only', server: 'https://hub.test.com/', want: 'hub.test.com' },
    { name: 'v1 followed by a path', server: 'https://reg.io/v1/team', want: 'reg.io/team' },
    { name: 'non-numeric port', server: 'reg:abc/x', want: undefined },
  ];
  for (const c of cases) assert.equal(keyringKey(c.server), c.want, c.name);
});

test('BasicKeyring lookup: ordering, every match, Docker Hub fallback (keyring_test lookups)', () => {
  const cases: { name: string; config: DockerConfig; image: string; want: string[] }[] = [
    {
      name: 'more specific keys first, every match contributes',
      config: [['quay.io', entry('general')], ['quay.io/coreos', entry('coreos')], ['*.io', entry('star')]],
      image: 'quay.io/coreos/etcd', want: ['coreos', 'general', 'star'],
    },
    {
      name: 'same key keeps insertion order (two secrets for one server)',
      config: [['hub.test.com', entry('first')], ['https://hub.test.com', entry('second')]],
      image: 'hub.test.com/library/nginx', want: ['first', 'second'],
    },
    {
      name: 'kubectl default server serves docker hub short names',
      config: [['https://index.docker.io/v1/', entry('hub')]],
      image: 'docker.io/library/nginx', want: ['hub'],
    },
    {
      name: 'docker.io key matches directly',
      config: [['docker.io', entry('direct')], ['https://index.docker.io/v1/', entry('fallback')]],
      image: 'docker.io/library/nginx', want: ['direct'],
    },
    {
      name: 'registry-1.docker.io does not match docker hub images',
      config: [['registry-1.docker.io', entry('r1')]],
      image: 'docker.io/library/nginx', want: [],
    },
    {
      name: 'fallback only for the default registry',
      config: [['https://index.docker.io/v1/', entry('hub')]],
      image: 'hub.test.com/library/nginx', want: [],
    },
    {
      name: 'port must match exactly',
      config: [['hub.test.com', entry('plain')]],
      image: 'hub.test.com:5000/x', want: [],
    },
    {
      name: 'glob host',
      config: [['*.example.com', entry('glob')]],
      image: 'a.example.com/img', want: ['glob'],
    },
    {
      name: 'miss',
      config: [['gcr.io', entry('g')]],
      image: 'quay.io/x/y', want: [],
    },
  ];
  for (const c of cases) {
    const ring = new BasicKeyring().add(c.config);
    assert.deepEqual(ring.lookup(c.image).map((x) => x.username), c.want, c.name);
  }
});

test('BasicKeyring index is de-duplicated and reverse sorted', () => {
  const ring = new BasicKeyring().add([['quay.io', entry('a')], ['quay.io/coreos', entry('b')], ['https://quay.io', entry('c')], ['gcr.io', entry('d')]]);
  assert.deepEqual(ring.keys(), ['quay.io/coreos', 'quay.io', 'gcr.io']);
});

test('decodeAuthField: padded and unpadded base64 of user:password, errors as upstream', () => {
  const cases = [
    { name: 'padded', field: b64('user:pass'), want: { username: 'user', password: 'pass' } },
    { name: 'unpadded', field: b64('us:pass').replace(/=+$/, ''), want: { username: 'us', password: 'pass' } },
    { name: 'password with colons', field: b64('u:p:q'), want: { username: 'u', password: 'p:q' } },
    { name: 'no colon', field: b64('userpass'), error: AUTH_FIELD_ERROR },
    { name: 'illegal character', field: 'dXNl!mpw', error: 'illegal base64 data at input byte 4' },
  ];
  for (const c of cases) {
    if (c.error) assert.throws(() => decodeAuthField(c.field), { message: c.error }, c.name);
    else assert.deepEqual(decodeAuthField(c.field), c.want, c.name);
  }
});

test('docker config parsing: auths wrapper, legacy form, auth overrides username/password', () => {
  const json = parseDockerConfigJson(JSON.stringify({ auths: { 'hub.test.com': { username: 'x', password: 'y', auth: b64('admin:Harbor12345') } } }));
  assert.deepEqual(json, [['hub.test.com', { username: 'admin', password: 'Harbor12345', email: '' }]]);
  assert.deepEqual(parseDockerConfigJson('{}'), [], 'no auths: no credentials');
  assert.deepEqual(parseDockercfg(JSON.stringify({ 'reg.io': { username: 'u', password: 'p', email: 'e@x' } })), [['reg.io', { username: 'u', password: 'p', email: 'e@x' }]]);
  assert.throws(() => parseDockerConfigJson('[]'), /cannot unmarshal array/);
});

test('makePodKeyring: dockerconfigjson and dockercfg secrets ahead of the node; wrong types ignored', () => {
  const node = new BasicKeyring().add([['hub.test.com', entry('node')], ['https://index.docker.io/v1/', entry('node-hub')]]);
  const cfgjson = (auths: object): string => b64(JSON.stringify({ auths }));
  const cases: { name: string; secrets: PullSecret[]; image: string; want: string[] }[] = [
    {
      name: 'dockerconfigjson with only an auth field, as the walkthrough uses',
      secrets: [{ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': cfgjson({ 'hub.test.com': { auth: b64('admin:Harbor12345') } }) } }],
      image: 'hub.test.com/library/nginx', want: ['admin', 'node'],
    },
    {
      name: 'legacy dockercfg',
      secrets: [{ type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ 'hub.test.com': { username: 'legacy', password: 'p' } })) } }],
      image: 'hub.test.com/library/nginx', want: ['legacy', 'node'],
    },
    {
      name: 'Opaque secret holding a .dockerconfigjson is ignored',
      secrets: [{ type: 'Opaque', data: { '.dockerconfigjson': cfgjson({ 'hub.test.com': { auth: b64('sneaky:p') } }) } }],
      image: 'hub.test.com/library/nginx', want: ['node'],
    },
    {
      name: 'dockercfg type with a .dockerconfigjson key is ignored',
      secrets: [{ type: 'kubernetes.io/dockercfg', data: { '.dockerconfigjson': cfgjson({ 'hub.test.com': { auth: b64('wrongkey:p') } }) } }],
      image: 'hub.test.com/library/nginx', want: ['node'],
    },
    {
      name: 'two secrets share one index: the more specific key first',
      secrets: [
        { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': cfgjson({ 'hub.test.com': { auth: b64('broad:p') } }) } },
        { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': cfgjson({ 'hub.test.com/library': { auth: b64('narrow:p') } }) } },
      ],
      image: 'hub.test.com/library/nginx', want: ['narrow', 'broad', 'node'],
    },
    {
      name: 'pod secret for another registry: pod keyring misses, node fallback for docker hub still applies',
      secrets: [{ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': cfgjson({ 'quay.io': { auth: b64('q:p') } }) } }],
      image: 'docker.io/library/nginx', want: ['node-hub'],
    },
  ];
  for (const c of cases) {
    assert.deepEqual(makePodKeyring(c.secrets, node).lookup(c.image).map((x) => x.username), c.want, c.name);
  }
  const bad: PullSecret = { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': cfgjson({ 'hub.test.com': { auth: b64('nocolon') } }) } };
  assert.throws(() => makePodKeyring([bad], node), { message: AUTH_FIELD_ERROR }, 'a malformed auth fails the keyring');
});

test('node docker config: upstream search order, invalid files skipped, legacy .dockercfg last', () => {
  const files: Record<string, string> = {};
  const src = { rootDir: '/data', cwd: '/work', home: '/home/u', readFile: (p: string) => files[p] };
  assert.deepEqual(readNodeDockerConfig(src), { config: [] });
  files['/.dockercfg'] = JSON.stringify({ 'legacy.io': { username: 'l', password: 'p' } });
  assert.equal(readNodeDockerConfig(src).path, '/.dockercfg');
  files['/.docker/config.json'] = JSON.stringify({ auths: { 'root.io': { auth: b64('r:p') } } });
  assert.equal(readNodeDockerConfig(src).path, '/.docker/config.json');
  files['/home/u/.docker/config.json'] = JSON.stringify({ auths: { 'home.io': { auth: b64('h:p') } } });
  assert.equal(readNodeDockerConfig(src).path, '/home/u/.docker/config.json');
  files['/work/config.json'] = 'not json';
  assert.equal(readNodeDockerConfig(src).path, '/home/u/.docker/config.json', 'an invalid file is skipped');
  files['/data/config.json'] = JSON.stringify({ auths: { 'hub.test.com': { auth: b64('admin:x') } } });
  const r = readNodeDockerConfig(src);
  assert.equal(r.path, '/data/config.json', 'the kubelet root dir comes first');
  assert.deepEqual(r.config, [['hub.test.com', { username: 'admin', password: 'x', email: '' }]]);
});

test('registries.yaml auth: per host, and endpoint credentials under the mirrored registry', () => {
  const cfg = registriesAuthConfig({
    mirrors: { 'hub.test.com': { endpoint: ['https://127.0.0.1:5443'] } },
    configs: {
      '127.0.0.1:5443': { auth: { username: 'robot', password: 'secret' } },
      'other.io': { auth: { auth: b64('o:p') } },
      'tls-only.io': { tls: { ca_file: '/ca.crt' } },
    },
  });
  assert.deepEqual(cfg.map(([k, e]) => [k, e.username]), [['127.0.0.1:5443', 'robot'], ['other.io', 'o'], ['hub.test.com', 'robot']]);
});

test('NodeKeyring re-reads the config file after 5 minutes', () => {
  let now = 0;
  const files: Record<string, string> = { '/data/config.json': JSON.stringify({ auths: { 'hub.test.com': { auth: b64('old:p') } } }) };
  const ring = new NodeKeyring({ rootDir: '/data', cwd: '/w', home: '/h', readFile: (p) => files[p] }, () => now);
  assert.deepEqual(ring.lookup('hub.test.com/x').map((c) => c.username), ['old']);
  files['/data/config.json'] = JSON.stringify({ auths: { 'hub.test.com': { auth: b64('new:p') } } });
  now = NODE_CONFIG_CACHE_MS - 1;
  assert.deepEqual(ring.lookup('hub.test.com/x').map((c) => c.username), ['old'], 'cached');
  now = NODE_CONFIG_CACHE_MS;
  assert.deepEqual(ring.lookup('hub.test.com/x').map((c) => c.username), ['new'], 'reloaded');
});
