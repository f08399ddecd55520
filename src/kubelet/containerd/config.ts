// Renders everything containerd needs into the agent's data dir, so a berth node never touches
// /etc/containerd, /var/lib/containerd or /etc/cni:
//
//   <dir>/config.toml            containerd's config (version 2)
//   <dir>/containerd.sock        CRI and containerd API (gRPC); .ttrpc beside it
//   <dir>/root/, <dir>/state/    containerd's root and state (netns mounts under state/)
//   <dir>/opt/                   the opt plugin's directory
//   <dir>/runc/                  runc's state root (its `Root` option)
//   <dir>/cni/net.d/10-berth.conflist   bridge + host-local + portmap; loopback comes from
//                                containerd's CRI itself (it adds `lo` with the loopback binary)
//   <dir>/cni/ipam/              host-local's allocations
//   <dir>/certs.d/<host>/hosts.toml     one per configured registry host (mirrors, CAs)
//   <dir>/containerd.log         the daemon's output
//
// The settings these hosts need are in reference/containerd-on-these-hosts.md: restrict_oom_score_adj,
// runc with cgroupfs, CNI from /usr/lib/cni, state kept inside the data dir.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The cluster's pod network; each node gets one /24 of it (DESIGN.md). */
export const CLUSTER_CIDR = '10.42.0.0/16';
/** Where Debian's containernetworking-plugins puts the CNI binaries. */
export const DEBIAN_CNI_BIN_DIR = '/usr/lib/cni';

/** A registries.yaml mirror: the endpoints that serve a registry host, in order. */
export interface RegistryMirror {
  /** Endpoint URLs, e.g. `https://127.0.0.1:5443`; `http://` for a plain-HTTP endpoint. */
  endpoint: string[];
}

/** registries.yaml TLS settings of one endpoint host. */
export interface RegistryTlsConfig {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  insecure_skip_verify?: boolean;
}

/** registries.yaml `configs` entry (credentials are for the keyring, never written here). */
export interface RegistryHostConfig {
  auth?: { username?: string; password?: string; auth?: string; identity_token?: string };
  tls?: RegistryTlsConfig;
}

/** k3s's registries.yaml schema, the form of `--registry-config` (DESIGN.md). */
export interface RegistriesConfig {
  mirrors?: Record<string, RegistryMirror>;
  configs?: Record<string, RegistryHostConfig>;
}

/** What to render. */
export interface ContainerdConfigOptions {
  /** The data dir containerd's files live under (created). */
  dir: string;
  /** This node's pod subnet, a /24 inside 10.42.0.0/16, e.g. `10.42.1.0/24`. */
  podSubnet: string;
  /** Name of the CNI bridge; default `berth0`. Tests pick their own. */
  bridgeName?: string;
  /** CNI plugin directory; default /usr/lib/cni. */
  cniBinDir?: string;
  /** The sandbox (pause) image reference. */
  sandboxImage: string;
  /** Registry mirrors and TLS, from --registry-config plus the built-in registry. */
  registries?: RegistriesConfig;
  /** Masquerade pod traffic leaving the node (bridge `ipMasq`); default true. */
  ipMasq?: boolean;
}

/** Paths of a rendered config. */
export interface ContainerdPaths {
  dir: string;
  configFile: string;
  socket: string;
  root: string;
  state: string;
  cniConfDir: string;
  cniIpamDir: string;
  certsDir: string;
  logFile: string;
  runcRoot: string;
}

/** The paths a config rendered into `dir` uses. */
export function containerdPaths(dir: string): ContainerdPaths {
  return {
    dir,
    configFile: join(dir, 'config.toml'),
    socket: join(dir, 'containerd.sock'),
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    cniConfDir: join(dir, 'cni', 'net.d'),
    cniIpamDir: join(dir, 'cni', 'ipam'),
    certsDir: join(dir, 'certs.d'),
    logFile: join(dir, 'containerd.log'),
    runcRoot: join(dir, 'runc'),
  };
}

/** A TOML basic string. */
function tq(s: string): string {
  return JSON.stringify(s);
}

/**
 * Checks that `subnet` is a /24 inside 10.42.0.0/16 and returns its gateway (`.1`);
 * throws with a one-line reason otherwise.
 */
export function validatePodSubnet(subnet: string): { gateway: string } {
  const m = /^10\.42\.(\d{1,3})\.0\/24$/.exec(subnet);
  if (!m || Number(m[1]) > 255) throw new Error(`pod subnet ${subnet} is not a /24 of ${CLUSTER_CIDR} (like 10.42.1.0/24)`);
  return { gateway: `10.42.${m[1]}.1` };
}

/** containerd's config.toml for `paths` (version 2, containerd 1.6). */
export function renderContainerdToml(paths: ContainerdPaths, opts: Pick<ContainerdConfigOptions, 'cniBinDir' | 'sandboxImage'>): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    '# Written by berth; rewritten on every start.',
    'version = 2',
    `root = ${tq(paths.root)}`,
    `state = ${tq(paths.state)}`,
    '',
    '[grpc]',
    `  address = ${tq(paths.socket)}`,
    '',
    '[ttrpc]',
    `  address = ${tq(`${paths.socket}.ttrpc`)}`,
    '',
    '[debug]',
    '  address = ""',
    '',
    '[metrics]',
    '  address = ""',
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${tq(join(paths.dir, 'opt'))}`,
    '',
    `[${cri}]`,
    `  sandbox_image = ${tq(opts.sandboxImage)}`,
    // The hosts lack CAP_SYS_RESOURCE: the sandbox's -998 would kill runc init.
    '  restrict_oom_score_adj = true',
    '  netns_mounts_under_state_dir = true',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    '  enable_selinux = false',
    '',
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    '',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    '',
    `[${cri}.containerd.runtimes.runc.options]`,
    // Hybrid cgroups and no systemd on these hosts: cgroupfs.
    '  SystemdCgroup = false',
    `  Root = ${tq(paths.runcRoot)}`,
    '',
    `[${cri}.cni]`,
    `  bin_dir = ${tq(opts.cniBinDir ?? DEBIAN_CNI_BIN_DIR)}`,
    `  conf_dir = ${tq(paths.cniConfDir)}`,
    '  max_conf_num = 1',
    '',
    `[${cri}.registry]`,
    `  config_path = ${tq(paths.certsDir)}`,
    '',
  ].join('\n');
}

/** The CNI network list: a bridge with host-local IPAM on the node's /24, and portmap. */
export function renderCniConflist(paths: ContainerdPaths, opts: Pick<ContainerdConfigOptions, 'podSubnet' | 'bridgeName' | 'ipMasq'>): string {
  const { gateway } = validatePodSubnet(opts.podSubnet);
  const conf = {
    cniVersion: '1.0.0',
    name: 'berth',
    plugins: [
      {
        type: 'bridge',
        bridge: opts.bridgeName ?? 'berth0',
        isGateway: true,
        ipMasq: opts.ipMasq ?? true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: opts.podSubnet, gateway }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: paths.cniIpamDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
  return JSON.stringify(conf, null, 2) + '\n';
}

/** The `host[:port]` of an endpoint URL; `http://127.0.0.1:5000` -> `127.0.0.1:5000`. */
function endpointHost(url: string): string {
  return new URL(url).host;
}

function tlsLines(tls: RegistryTlsConfig | undefined, indent: string): string[] {
  const out: string[] = [];
  if (tls?.ca_file) out.push(`${indent}ca = ${tq(tls.ca_file)}`);
  if (tls?.cert_file && tls.key_file) out.push(`${indent}client = [[${tq(tls.cert_file)}, ${tq(tls.key_file)}]]`);
  if (tls?.insecure_skip_verify) out.push(`${indent}skip_verify = true`);
  return out;
}

/**
 * `hosts.toml` files by registry host, for containerd's `config_path`. A mirrored host lists its
 * endpoints in order as [host] tables and its `server` is the last endpoint, so containerd never
 * falls back to the registry's own (unconfigured) address; a host with only TLS settings gets
 * them on its own `https://` server and host table.
 */
export function renderHostsTomls(reg: RegistriesConfig = {}): Map<string, string> {
  const files = new Map<string, string>();
  const configs = reg.configs ?? {};
  for (const [host, mirror] of Object.entries(reg.mirrors ?? {})) {
    const endpoints = (mirror.endpoint ?? []).map((e) => (/^[a-z]+:\/\//.test(e) ? e : `https://${e}`));
    if (endpoints.length === 0) continue;
    const server = endpoints[endpoints.length - 1];
    const lines = [`# Written by berth for ${host}: only these endpoints, in order.`, `server = ${tq(server)}`];
    lines.push(...tlsLines(configs[endpointHost(server)]?.tls, ''));
    // Every endpoint, the last too, gets a [host] table: containerd 1.6.20 rejects a hosts.toml
    // without one ("invalid `host` tree") and then falls back to the registry's own address.
    for (const ep of endpoints) {
      lines.push('', `[host.${tq(ep)}]`, '  capabilities = ["pull", "resolve"]');
      lines.push(...tlsLines(configs[endpointHost(ep)]?.tls, '  '));
    }
    files.set(host, lines.join('\n') + '\n');
  }
  for (const [host, cfg] of Object.entries(configs)) {
    if (files.has(host) || !cfg.tls) continue;
    const lines = [`# Written by berth for ${host}.`, `server = ${tq(`https://${host}`)}`];
    lines.push(...tlsLines(cfg.tls, ''));
    lines.push('', `[host.${tq(`https://${host}`)}]`, '  capabilities = ["pull", "resolve", "push"]', ...tlsLines(cfg.tls, '  '));
    files.set(host, lines.join('\n') + '\n');
  }
  return files;
}

/**
 * Writes config.toml, the CNI conflist and the certs.d tree into `opts.dir` (creating the
 * directories), replacing what a previous start wrote. Returns the paths.
 */
export function writeContainerdConfig(opts: ContainerdConfigOptions): ContainerdPaths {
  const paths = containerdPaths(opts.dir);
  for (const d of [paths.dir, paths.root, paths.state, paths.cniConfDir, paths.cniIpamDir, paths.runcRoot, join(paths.dir, 'opt')]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
  }
  writeFileSync(paths.configFile, renderContainerdToml(paths, opts), { mode: 0o600 });
  writeFileSync(join(paths.cniConfDir, '10-berth.conflist'), renderCniConflist(paths, opts), { mode: 0o644 });
  rmSync(paths.certsDir, { recursive: true, force: true });
  mkdirSync(paths.certsDir, { recursive: true, mode: 0o755 });
  for (const [host, toml] of renderHostsTomls(opts.registries)) {
    const hostDir = join(paths.certsDir, host);
    mkdirSync(hostDir, { recursive: true });
    writeFileSync(join(hostDir, 'hosts.toml'), toml, { mode: 0o644 });
  }
  return paths;
}
