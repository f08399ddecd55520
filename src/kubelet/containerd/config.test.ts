// containerd config rendering and preflight checks (reference containerd-on-these-hosts.md).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'smol-toml';
import {
  containerdPaths, preflight, renderCniConflist, renderContainerdToml, renderHostsTomls, validatePodSubnet, writeContainerdConfig,
} from './index.js';

/** TOML as plain JSON values (smol-toml gives null-prototype objects). */
const parseToml = (text: string): any => JSON.parse(JSON.stringify(parse(text)));

test('config.toml keeps every path inside the data dir and sets what these hosts need', () => {
  const paths = containerdPaths('/data/containerd');
  const toml = parseToml(renderContainerdToml(paths, { sandboxImage: 'docker.io/library/pause:3.10' }));
  const cri = toml.plugins['io.containerd.grpc.v1.cri'];
  const runc = cri.containerd.runtimes.runc;
  const cases = [
    { name: 'version 2 config', got: toml.version, want: 2 },
    { name: 'root', got: toml.root, want: '/data/containerd/root' },
    { name: 'state', got: toml.state, want: '/data/containerd/state' },
    { name: 'own socket', got: toml.grpc.address, want: '/data/containerd/containerd.sock' },
    { name: 'ttrpc socket', got: toml.ttrpc.address, want: '/data/containerd/containerd.sock.ttrpc' },
    { name: 'no debug socket', got: toml.debug.address, want: '' },
    { name: 'no metrics listener', got: toml.metrics.address, want: '' },
    { name: 'opt plugin path', got: toml.plugins['io.containerd.internal.v1.opt'].path, want: '/data/containerd/opt' },
    { name: 'restrict_oom_score_adj (no CAP_SYS_RESOURCE)', got: cri.restrict_oom_score_adj, want: true },
    { name: 'netns under the state dir', got: cri.netns_mounts_under_state_dir, want: true },
    { name: 'streaming on loopback', got: cri.stream_server_address, want: '127.0.0.1' },
    { name: 'streaming on an ephemeral port', got: cri.stream_server_port, want: '0' },
    { name: 'sandbox image', got: cri.sandbox_image, want: 'docker.io/library/pause:3.10' },
    { name: 'runc is the default runtime', got: cri.containerd.default_runtime_name, want: 'runc' },
    { name: 'runc v2 shim', got: runc.runtime_type, want: 'io.containerd.runc.v2' },
    { name: 'cgroupfs', got: runc.options.SystemdCgroup, want: false },
    { name: 'runc root inside the data dir', got: runc.options.Root, want: '/data/containerd/runc' },
    { name: 'Debian CNI bin dir', got: cri.cni.bin_dir, want: '/usr/lib/cni' },
    { name: 'CNI conf dir inside the data dir', got: cri.cni.conf_dir, want: '/data/containerd/cni/net.d' },
    { name: 'registry hosts dir', got: cri.registry.config_path, want: '/data/containerd/certs.d' },
  ];
  for (const c of cases) assert.deepEqual(c.got, c.want, c.name);
  assert.equal(cri.registry.mirrors, undefined, 'no deprecated registry.mirrors table');
});

test('CNI conflist: bridge with host-local on the node /24 and portmap', () => {
  const conf = JSON.parse(renderCniConflist(containerdPaths('/d'), { podSubnet: '10.42.7.0/24', bridgeName: 'berthtest0' }));
  assert.equal(conf.cniVersion, '1.0.0');
  assert.deepEqual(conf.plugins.map((p: { type: string }) => p.type), ['bridge', 'portmap']);
  const bridge = conf.plugins[0];
  assert.equal(bridge.bridge, 'berthtest0');
  assert.equal(bridge.isGateway, true);
  assert.deepEqual(bridge.ipam, { type: 'host-local', ranges: [[{ subnet: '10.42.7.0/24', gateway: '10.42.7.1' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/d/cni/ipam' });
  assert.deepEqual(conf.plugins[1].capabilities, { portMappings: true });
});

test('pod subnet must be a /24 of 10.42.0.0/16', () => {
  const cases = [
    { name: 'first node', subnet: '10.42.1.0/24', ok: true },
    { name: 'last /24', subnet: '10.42.255.0/24', ok: true },
    { name: 'outside the cluster CIDR', subnet: '10.43.1.0/24', ok: false },
    { name: 'wrong size', subnet: '10.42.1.0/16', ok: false },
    { name: 'not a network address', subnet: '10.42.1.5/24', ok: false },
    { name: 'octet out of range', subnet: '10.42.256.0/24', ok: false },
  ];
  for (const c of cases) {
    if (c.ok) assert.doesNotThrow(() => validatePodSubnet(c.subnet), c.name);
    else assert.throws(() => validatePodSubnet(c.subnet), /is not a \/24 of 10\.42\.0\.0\/16/, c.name);
  }
});

test('hosts.toml: mirrors in order, server is the last endpoint (no fallback), CAs per endpoint', () => {
  const files = renderHostsTomls({
    mirrors: {
      'docker.io': { endpoint: ['https://127.0.0.1:5000'] },
      'hub.test.com': { endpoint: ['https://127.0.0.1:5443', 'http://127.0.0.1:5080'] },
    },
    configs: {
      '127.0.0.1:5000': { tls: { ca_file: '/data/tls/ca.crt' } },
      '127.0.0.1:5443': { tls: { ca_file: '/hub/ca.crt' }, auth: { username: 'u', password: 'secret-password' } },
      'private.example:8443': { tls: { insecure_skip_verify: true } },
    },
  });
  assert.deepEqual([...files.keys()].sort(), ['127.0.0.1:5000', '127.0.0.1:5443', 'docker.io', 'hub.test.com', 'private.example:8443']);
  const hub = parseToml(files.get('hub.test.com')!);
  assert.equal(hub.server, 'http://127.0.0.1:5080', 'the last endpoint is the server: containerd never tries https://hub.test.com');
  assert.deepEqual(hub.host, {
    'https://127.0.0.1:5443': { capabilities: ['pull', 'resolve'], ca: '/hub/ca.crt' },
    'http://127.0.0.1:5080': { capabilities: ['pull', 'resolve'] },
  });
  // containerd 1.6.20 refuses a hosts.toml without a [host] table and falls back to the
  // registry's default address: every file has one.
  assert.deepEqual(parseToml(files.get('docker.io')!), {
    server: 'https://127.0.0.1:5000', ca: '/data/tls/ca.crt',
    host: { 'https://127.0.0.1:5000': { capabilities: ['pull', 'resolve'], ca: '/data/tls/ca.crt' } },
  });
  assert.deepEqual(parseToml(files.get('private.example:8443')!), {
    server: 'https://private.example:8443', skip_verify: true,
    host: { 'https://private.example:8443': { capabilities: ['pull', 'resolve', 'push'], skip_verify: true } },
  });
  for (const [host, text] of files) assert.equal(text.includes('secret-password'), false, `${host}: credentials never written`);
});

test('writeContainerdConfig writes the tree and replaces stale host files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cd-cfg-'));
  try {
    mkdirSync(join(dir, 'certs.d', 'stale.io'), { recursive: true });
    writeFileSync(join(dir, 'certs.d', 'stale.io', 'hosts.toml'), 'server = "https://stale.io"\n');
    const paths = writeContainerdConfig({
      dir, podSubnet: '10.42.3.0/24', sandboxImage: 'pause:3.10',
      registries: { mirrors: { 'docker.io': { endpoint: ['https://127.0.0.1:5000'] } } },
    });
    assert.equal(paths.socket, join(dir, 'containerd.sock'));
    assert.deepEqual(readdirSync(join(dir, 'certs.d')), ['docker.io']);
    assert.match(readFileSync(paths.configFile, 'utf8'), /restrict_oom_score_adj = true/);
    assert.equal(JSON.parse(readFileSync(join(dir, 'cni', 'net.d', '10-berth.conflist'), 'utf8')).plugins[0].ipam.ranges[0][0].subnet, '10.42.3.0/24');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('preflight: one clear line per missing prerequisite', () => {
  const present = new Set(['/usr/bin/containerd', '/usr/sbin/runc', '/usr/lib/cni/bridge', '/usr/lib/cni/host-local', '/usr/lib/cni/portmap', '/usr/lib/cni/loopback']);
  const base = { path: '/usr/sbin:/usr/bin', cniBinDir: '/usr/lib/cni' };
  const cases = [
    { name: 'all present as root', uid: 0, drop: [] as string[], want: [] as string[] },
    { name: 'not root', uid: 1000, drop: [], want: ['the node agent must run as root (uid 0) to run containers; running as uid 1000'] },
    { name: 'no containerd', uid: 0, drop: ['/usr/bin/containerd'], want: ['containerd not found in PATH; install the Debian package containerd'] },
    { name: 'no runc', uid: 0, drop: ['/usr/sbin/runc'], want: ['runc not found in PATH; install the Debian package runc'] },
    {
      name: 'CNI plugins missing', uid: 0, drop: ['/usr/lib/cni/portmap', '/usr/lib/cni/loopback'],
      want: ['CNI plugin(s) portmap, loopback missing from /usr/lib/cni; install the Debian package containernetworking-plugins'],
    },
  ];
  for (const c of cases) {
    const results = preflight({ ...base, uid: c.uid, isExecutable: (f) => present.has(f) && !c.drop.includes(f) });
    assert.deepEqual(results.map((r) => r.check), ['root', 'containerd', 'runc', 'cni'], c.name);
    assert.deepEqual(results.filter((r) => !r.ok).map((r) => r.message), c.want, c.name);
  }
});
