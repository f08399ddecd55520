// Node commands (DESIGN.md fixed contracts):
//   berth up      the whole system on this machine: control plane, built-in registry, N nodes,
//                 service proxy and cluster DNS, with progress lines; ready when every node is Ready
//   berth agent   one node joining a server with the node token
//   berth down    stop every container berth started here and remove its network state
//   berth images  list a node's images;  berth rmi IMAGE  remove one
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createClient, RESOURCES, type Client } from '../client/index.js';
import type { JoinResult } from '../kubelet/join/index.js';
import { createLogger, type Logger } from '../common/log.js';
import { containerdPaths, preflight, type RegistriesConfig } from '../kubelet/containerd/index.js';
import { CriRuntime, type Image } from '../kubelet/runtime/index.js';
import { builtinRegistryComponent, controlPlaneComponents, type ControlPlane } from '../supervisor/control-plane.js';
import { downNode, nodeDirs } from '../supervisor/down.js';
import { agentProcessComponent, nodeComponents, type NodeOptions } from '../supervisor/node.js';
import { networkComponents, cleanupNetwork } from '../supervisor/network.js';
import { Supervisor, untilSignal, type Component } from '../supervisor/supervisor.js';
import { CliError } from './errors.js';
import { parseListen, resolveAdminPassword } from './registry.js';

const DEFAULT_DIR = '/var/lib/berth';

function logger(): Logger {
  return createLogger({ level: process.env.BERTH_LOG_LEVEL ?? 'info' });
}

function say(cmd: string): (line: string) => void {
  return (line) => process.stdout.write(`berth ${cmd}: ${line}\n`);
}

function checkPreflight(): void {
  const failed = preflight().filter((r) => !r.ok);
  if (failed.length) throw new CliError(failed.map((r) => r.message).join('\nberth: '));
}

/** Reads `--registry-config` (k3s's registries.yaml); one clear line when it is unusable. */
export function readRegistriesConfig(file: string | undefined): RegistriesConfig {
  if (!file) return {};
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(`cannot read --registry-config ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new CliError(`--registry-config ${file}: expected a mapping with "mirrors" and "configs"`);
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) {
    if (k !== 'mirrors' && k !== 'configs') throw new CliError(`--registry-config ${file}: unknown key "${k}" (want "mirrors" and "configs")`);
  }
  for (const [host, m] of Object.entries((d.mirrors ?? {}) as Record<string, unknown>)) {
    const eps = (m as { endpoint?: unknown })?.endpoint;
    if (!Array.isArray(eps) || eps.some((e) => typeof e !== 'string')) throw new CliError(`--registry-config ${file}: mirrors.${host}.endpoint must be a list of URLs`);
  }
  return d as RegistriesConfig;
}

/**
 * The registries config of a `berth up` node: the user's, plus trust in the built-in registry
 * (cluster CA) and `docker.io` served from it, unless the user's config says otherwise.
 */
export function withBuiltinRegistry(user: RegistriesConfig, registryHostPort: string, caFile: string): RegistriesConfig {
  const mirrors = { ...(user.mirrors ?? {}) };
  const configs = { ...(user.configs ?? {}) };
  if (!mirrors['docker.io']) mirrors['docker.io'] = { endpoint: [`https://${registryHostPort}`] };
  configs[registryHostPort] = { ...(configs[registryHostPort] ?? {}), tls: { ca_file: caFile, ...(configs[registryHostPort]?.tls ?? {}) } };
  return { mirrors, configs };
}

/** The PID file that tells `berth down` berth still runs on a data dir. */
function pidFile(dataDir: string): string {
  return join(dataDir, 'berth.pid');
}

function runningPid(dataDir: string): number | undefined {
  const f = pidFile(dataDir);
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, 'utf8').trim());
  if (!(pid > 0) || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('berth') || cmd.includes('main') ? pid : undefined;
  } catch {
    return undefined;
  }
}

function claimDataDir(dataDir: string, cmd: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const other = runningPid(dataDir);
  if (other) throw new CliError(`another berth (pid ${other}) is running on ${dataDir}; stop it first (berth ${cmd} needs the data dir to itself)`);
  writeFileSync(pidFile(dataDir), `${process.pid}\n`);
}

function nodeName(i: number): string {
  return `node${String(i).padStart(2, '0')}`;
}

/** Waits until every named Node reports Ready=True. */
function nodesReady(state: ControlPlane, names: string[], timeoutMs = 120_000): Component {
  return {
    name: `${names.length} node(s) Ready`,
    async start() {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const list = await state.client!.list(RESOURCES.nodes, '');
        const ready = new Set(list.items.filter((n) => (n.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => String(n.metadata.name)));
        if (names.every((n) => ready.has(n))) return;
        if (Date.now() > deadline) throw new Error(`nodes not Ready after ${timeoutMs / 1000}s: ${names.filter((n) => !ready.has(n)).join(', ')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}

interface UpFlags {
  dataDir: string;
  nodes: string;
  listen: string;
  registryListen: string;
  registryConfig?: string;
  imagePullCredentialsVerificationPolicy: NodeOptions['imageVerification'];
}

async function runUp(flags: UpFlags): Promise<void> {
  const dataDir = resolve(flags.dataDir);
  const n = Number(flags.nodes);
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new CliError(`invalid --nodes "${flags.nodes}": want a number from 1 to 50`);
  let reg: { host: string; port: number };
  try {
    parseListen(flags.listen);
    reg = parseListen(flags.registryListen);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const userRegistries = readRegistriesConfig(flags.registryConfig);
  checkPreflight();
  claimDataDir(dataDir, 'up');
  const log = logger();
  const progress = say('up');
  const state: ControlPlane = {};
  const sup = new Supervisor(log, progress);
  const registryDir = join(dataDir, 'registry');
  mkdirSync(registryDir, { recursive: true, mode: 0o700 });
  const admin = resolveAdminPassword(registryDir, undefined, process.env);
  const regHostPort = `${reg.host === '0.0.0.0' ? '127.0.0.1' : reg.host}:${reg.port}`;
  const registries = withBuiltinRegistry(userRegistries, regHostPort, join(dataDir, 'tls', 'ca.crt'));
  const names = Array.from({ length: n }, (_, i) => nodeName(i + 1));
  const components: Component[] = [
    ...controlPlaneComponents({ dataDir, listen: flags.listen, log, state }),
    builtinRegistryComponent({ dataDir, host: reg.host, port: reg.port, adminPassword: admin.password, log, state }),
  ];
  const regFile = join(dataDir, 'registries.yaml');
  writeFileSync(regFile, stringifyYaml(registries), { mode: 0o600 });
  const berth = [process.execPath, ...process.execArgv, process.argv[1]];
  names.forEach((name, i) => {
    components.push(agentProcessComponent({
      berth, server: () => state.api!.url, tokenFile: join(dataDir, 'node-token'), nodeName: name, address: `127.0.1.${i + 1}`,
      dataDir, registryConfig: regFile, log, progress, imageVerification: flags.imagePullCredentialsVerificationPolicy,
    }));
  });
  components.push(...networkComponents({ client: () => state.client!, nodeIPs: names.map((_, i) => `127.0.1.${i + 1}`), log }));
  components.push(nodesReady(state, names));
  try {
    await sup.start(components);
  } catch (e) {
    rmSync(pidFile(dataDir), { force: true });
    throw new CliError((e as Error).message);
  }
  progress(`ready: ${n} node(s); registry at ${state.registry!.url} (admin password: ${admin.source})`);
  progress(`kubeconfig at ${state.api!.kubeconfigPath}`);
  progress(`export KUBECONFIG=${state.api!.kubeconfigPath}`);
  const sig = await untilSignal();
  progress(`${sig}: stopping (containers keep running; berth down removes them)`);
  await sup.stop();
  rmSync(pidFile(dataDir), { force: true });
}

interface AgentFlags {
  /** False under `berth up`, which runs the machine's proxy and DNS itself. */
  machineNetwork: boolean;
  /** Under `berth up`: stop when the parent process is gone. */
  exitWithParent?: boolean;
  server: string;
  tokenFile: string;
  nodeName?: string;
  nodeIp?: string;
  dataDir: string;
  registryConfig?: string;
  imagePullCredentialsVerificationPolicy: NodeOptions['imageVerification'];
}

/** The first non-internal IPv4 address of this machine. */
function defaultNodeIp(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

async function runAgent(flags: AgentFlags): Promise<void> {
  const dataDir = resolve(flags.dataDir);
  let token: string;
  try {
    token = readFileSync(flags.tokenFile, 'utf8').trim();
  } catch (e) {
    throw new CliError(`cannot read --token-file: ${(e as Error).message}`);
  }
  if (!token) throw new CliError('--token-file is empty');
  if (!/^https:\/\/[^/]+$/.test(flags.server.replace(/\/$/, ''))) throw new CliError(`invalid --server "${flags.server}": want https://HOST:PORT`);
  const name = (flags.nodeName ?? hostname()).toLowerCase();
  const registries = readRegistriesConfig(flags.registryConfig);
  checkPreflight();
  const nodeDir = join(dataDir, 'agents', name);
  claimDataDir(nodeDir, 'agent');
  const log = logger().child({ node: name });
  const progress = say('agent');
  const sup = new Supervisor(log, progress);
  const address = flags.nodeIp ?? defaultNodeIp();
  const server = flags.server.replace(/\/$/, '');
  let joined: JoinResult | undefined;
  const components = nodeComponents({
    server, token, nodeName: name, dir: nodeDir, address, registries, log, onJoined: (j) => { joined = j; },
    imageVerification: flags.imagePullCredentialsVerificationPolicy,
  });
  let netClient: Client | undefined;
  if (flags.machineNetwork) {
    components.push(...networkComponents({ client: () => (netClient ??= createClient(joined!.clientConfig)), nodeIPs: [address], log }));
  }
  try {
    await sup.start(components);
  } catch (e) {
    rmSync(pidFile(nodeDir), { force: true });
    throw new CliError((e as Error).message);
  }
  progress(`node ${name} joined ${server} at ${address}`);
  const sig = await Promise.race([untilSignal(), ...(flags.exitWithParent ? [parentGone()] : [])]);
  progress(`${sig}: stopping (containers keep running; berth down removes them)`);
  await sup.stop();
  netClient?.close();
  rmSync(pidFile(nodeDir), { force: true });
}

/** Resolves when the parent process has exited (this process was re-parented). */
function parentGone(): Promise<string> {
  const parent = process.ppid;
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (process.ppid !== parent) {
        clearInterval(t);
        resolve('parent exited');
      }
    }, 500);
    t.unref();
  });
}

async function runDown(flags: { dataDir: string }): Promise<void> {
  const dataDir = resolve(flags.dataDir);
  if (process.getuid?.() !== 0) throw new CliError('berth down must run as root (it removes containers, bridges and iptables rules)');
  for (const dir of [dataDir, ...nodeDirs(dataDir).values()]) {
    const other = runningPid(dir);
    if (other) throw new CliError(`berth (pid ${other}) is still running on ${dir}; stop it first (SIGTERM), then run berth down`);
  }
  const log = logger();
  const progress = say('down');
  for (const [name, dir] of nodeDirs(dataDir)) await downNode(name, dir, log, progress);
  await cleanupNetwork(log);
  progress('done');
}

/** The containerd socket of the node chosen with --node (or the only one). */
function nodeSocket(dataDir: string, node: string | undefined): { name: string; socket: string } {
  const nodes = nodeDirs(resolve(dataDir));
  if (nodes.size === 0) throw new CliError(`no nodes under ${resolve(dataDir)}; start one with berth up`);
  let name = node;
  if (!name) {
    if (nodes.size > 1) throw new CliError(`several nodes (${[...nodes.keys()].join(', ')}): choose one with --node`);
    name = [...nodes.keys()][0];
  }
  const dir = nodes.get(name);
  if (!dir) throw new CliError(`no node ${name} under ${resolve(dataDir)} (nodes: ${[...nodes.keys()].join(', ')})`);
  const socket = containerdPaths(join(dir, 'containerd')).socket;
  if (!existsSync(socket)) throw new CliError(`${name}'s containerd is not running (start berth up or berth agent first)`);
  return { name, socket };
}

/** crictl's HumanSize: decimal units with up to 4 significant digits (go-units). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** `repo:tag` split as crictl prints images (`<none>` when untagged). */
function imageRows(images: Image[]): string[][] {
  const rows: string[][] = [];
  for (const im of images) {
    const id = im.id.replace(/^sha256:/, '').slice(0, 13);
    const tags = im.repoTags.length ? im.repoTags : [`${(im.repoDigests[0] ?? '<none>').split('@')[0]}:<none>`];
    for (const t of tags) {
      const at = t.lastIndexOf(':');
      rows.push([t.slice(0, at), t.slice(at + 1), id, humanSize(im.size)]);
    }
  }
  return rows.sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
}

/** Left-aligned columns separated by three spaces (crictl's tabwriter look). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('   ')).join('\n') + '\n';
}

async function runImages(flags: { dataDir: string; node?: string }): Promise<void> {
  const { socket } = nodeSocket(flags.dataDir, flags.node);
  const cri = new CriRuntime({ socketPath: socket });
  try {
    process.stdout.write(table(['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], imageRows(await cri.listImages())));
  } catch (e) {
    throw new CliError(`listing images: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    cri.close();
  }
}

/** The canonical reference of a short name as containerd stores it (`nginx` -> docker.io/library/nginx:latest). */
export function canonicalRef(ref: string): string {
  let r = ref;
  const slash = r.indexOf('/');
  const first = slash < 0 ? '' : r.slice(0, slash);
  if (slash < 0 || !(first.includes('.') || first.includes(':') || first === 'localhost')) r = `docker.io/${slash < 0 ? `library/${r}` : r}`;
  const last = r.slice(r.lastIndexOf('/') + 1);
  if (!last.includes(':') && !r.includes('@')) r = `${r}:latest`;
  return r;
}

async function runRmi(image: string, flags: { dataDir: string; node?: string }): Promise<void> {
  const { socket } = nodeSocket(flags.dataDir, flags.node);
  const cri = new CriRuntime({ socketPath: socket });
  try {
    const images = await cri.listImages();
    const want = canonicalRef(image);
    const id = image.replace(/^sha256:/, '');
    const found = images.find((im) => im.repoTags.includes(want) || im.repoTags.includes(image) || im.repoDigests.includes(image)
      || (id.length >= 4 && /^[0-9a-f]+$/.test(id) && im.id.replace(/^sha256:/, '').startsWith(id)));
    if (!found) throw new CliError(`no such image: ${image}`);
    await cri.removeImage(found.id);
    for (const t of found.repoTags.length ? found.repoTags : [found.id]) process.stdout.write(`Deleted: ${t}\n`);
  } finally {
    cri.close();
  }
}

/** Who may use a cached private image; the kubelet setting of KEP-2535. */
function verificationOption(): Option {
  return new Option('--image-pull-credentials-verification-policy <policy>',
    'who may use a cached private image: NeverVerifyPreloadedImages (only pods whose credentials were verified for it, or images pulled without credentials), AlwaysVerify, or NeverVerify (upstream 1.32: every pod)')
    .choices(['NeverVerifyPreloadedImages', 'AlwaysVerify', 'NeverVerify']).default('NeverVerifyPreloadedImages');
}

/** Registers up, agent, down, images and rmi. */
export function registerNodeCommands(program: Command): void {
  program.command('up').description('run the whole system on this machine: control plane, built-in registry, nodes, service proxy, cluster DNS')
    .option('--data-dir <dir>', 'data directory', DEFAULT_DIR)
    .option('--nodes <n>', 'number of nodes (node01 ... nodeNN)', '1')
    .option('--listen <host:port>', 'API server address', '127.0.0.1:6443')
    .option('--registry-listen <host:port>', 'built-in registry address', '127.0.0.1:5000')
    .option('--registry-config <file>', "registries.yaml (k3s's schema): mirrors and per-host auth/TLS")
    .addOption(verificationOption())
    .action(async (flags: UpFlags) => {
      await runUp(flags);
      process.exit(0);
    });
  program.command('agent').description('run one node that joins a server with the node token')
    .requiredOption('--server <url>', 'API server URL (https://HOST:PORT)')
    .requiredOption('--token-file <file>', "file holding the server's node token (DIR/node-token)")
    .option('--node-name <name>', 'node name (default: this host name)')
    .option('--node-ip <ip>', "the node's address (default: this machine's first non-loopback IPv4)")
    .option('--data-dir <dir>', 'data directory', DEFAULT_DIR)
    .option('--registry-config <file>', "registries.yaml (k3s's schema): mirrors and per-host auth/TLS")
    .addOption(verificationOption())
    .addOption(new Option('--machine-network <bool>', 'run the service proxy and cluster DNS for this machine').default(true).argParser((v) => v !== 'false').hideHelp())
    .addOption(new Option('--exit-with-parent', 'stop when the parent process exits (berth up)').hideHelp())
    .action(async (flags: AgentFlags) => {
      await runAgent(flags);
      process.exit(0);
    });
  program.command('down').description('stop every container berth started and remove the network state it created')
    .option('--data-dir <dir>', 'data directory', DEFAULT_DIR)
    .action(async (flags: { dataDir: string }) => {
      await runDown(flags);
      process.exit(0);
    });
  program.command('images').description("list the images in a node's containerd")
    .option('--node <name>', 'node name (needed when there are several)')
    .option('--data-dir <dir>', 'data directory', DEFAULT_DIR)
    .action(async (flags: { dataDir: string; node?: string }) => {
      await runImages(flags);
    });
  program.command('rmi').description("remove an image from a node's containerd")
    .argument('<image>', 'reference (nginx, nginx:1.14, host/repo:tag) or image ID')
    .option('--node <name>', 'node name (needed when there are several)')
    .option('--data-dir <dir>', 'data directory', DEFAULT_DIR)
    .action(async (image: string, flags: { dataDir: string; node?: string }) => {
      await runRmi(image, flags);
    });
}
