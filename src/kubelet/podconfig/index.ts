// Pod config: turns a Pod into the CRI sandbox and container configs the pod workers hand to the
// runtime, the way upstream's kubelet does (k/k pkg/kubelet/kuberuntime/kuberuntime_sandbox.go
// generatePodSandboxConfig, kuberuntime_container.go generateContainerConfig, labels.go,
// pkg/kubelet/kubelet_pods.go GenerateRunContainerOptions / makeMounts).
//
// Files it writes under the kubelet root (contracts.md):
//   <rootDir>/pods/<uid>/etc-hosts                      the pod's /etc/hosts
//   <rootDir>/pods/<uid>/containers/<name>/<8 hex>      one termination-log file per container instance
//   <rootDir>/logs/pods/<ns>_<name>_<uid>/<name>/       log dirs (containerd writes <attempt>.log)
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Container, ContainerPort, Pod, Service } from 'kubernetes-types/core/v1.js';
import { isStatusCode, RESOURCES, type ApiObject, type Client } from '../../client/index.js';
import { involvedPod, type EventRecorder } from '../../client/events.js';
import type { Logger } from '../../common/log.js';
import type { ContainerConfig, Image, Mount, NamespaceOption, PodSandboxConfig, PortMapping, Protocol } from '../runtime/index.js';
import type { NodeAllocatable } from './downward-api.js';
import { podDnsConfig, parseResolvConf, type DnsConfig } from './dns.js';
import { ContainerConfigError, makeEnvironmentVariables, serviceEnvVarMap, type EnvVar } from './env.js';
import { expand, mappingFor } from './expansion.js';
import { managedHostsFileContent, nodeHostsFileContent, podHostnameAndDomain } from './hosts.js';
import { linuxContainerResources } from './resources.js';
import { apiSources } from './sources.js';

export { expand, mappingFor, type Mapping } from './expansion.js';
export { ContainerConfigError, fromServices, makeEnvironmentVariables, serviceEnvVarMap, type EnvContext, type EnvSources, type EnvVar, type SourceLookup } from './env.js';
export { containerResourceValue, DownwardApiError, extractFieldPathAsString, findContainer, formatMap, podFieldSelectorValue, type NodeAllocatable } from './downward-api.js';
export { parseResolvConf, podDnsConfig, type DnsConfig, type DnsSettings } from './dns.js';
export { linuxContainerResources, milliCpuToQuota, milliCpuToShares, oomScoreAdj, podQosClass } from './resources.js';
export { managedHostsFileContent, podHostnameAndDomain } from './hosts.js';
export { apiSources } from './sources.js';

/** Labels upstream puts on sandboxes and containers (pkg/kubelet/types/labels.go). */
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** Container annotations upstream writes (pkg/kubelet/kuberuntime/labels.go). */
export const ANNOTATION_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_TERMINATION_MESSAGE_POLICY = 'io.kubernetes.container.terminationMessagePolicy';
export const ANNOTATION_POD_TERMINATION_GRACE_PERIOD = 'io.kubernetes.pod.terminationGracePeriod';
export const ANNOTATION_POD_DELETION_GRACE_PERIOD = 'io.kubernetes.pod.deletionGracePeriod';
export const ANNOTATION_PRESTOP_HANDLER = 'io.kubernetes.container.preStopHandler';
export const ANNOTATION_CONTAINER_PORTS = 'io.kubernetes.container.ports';

/** The reason of every container config failure (kuberuntime ErrCreateContainerConfig). */
export const CREATE_CONTAINER_CONFIG_ERROR = 'CreateContainerConfigError';

/** What the builder needs; one per node agent. */
export interface PodConfigOptions {
  client: Client;
  nodeName: string;
  /** The kubelet root (`<agent data dir>/kubelet`). */
  rootDir: string;
  /** Cluster DNS servers (10.43.0.10). */
  clusterDns: string[];
  /** e.g. `cluster.local`. */
  clusterDomain: string;
  /** The node's address, `status.hostIP` of its pods. */
  hostIP: string;
  log: Logger;
  now?: () => Date;
  /**
   * The host resolv.conf pods with dnsPolicy Default inherit (default `/etc/resolv.conf`; when that
   * names only loopback servers, as systemd-resolved's stub does, `/run/systemd/resolve/resolv.conf`
   * is used if present, as k3s does). An empty string means none (upstream's `--resolv-conf=""`).
   */
  resolvConf?: string;
  /** The node's /etc/hosts, copied into host-network pods (default `/etc/hosts`). */
  hostsFile?: string;
  /** Records upstream's `DNSConfigForming` / `MissingClusterDNS` warnings when given. */
  recorder?: EventRecorder;
  /** Default for unset limits in resourceFieldRef (default: this machine's CPUs and memory). */
  nodeAllocatable?: NodeAllocatable;
  /** Memory capacity in bytes for oom_score_adj (default: this machine's). */
  memoryCapacity?: number;
  /**
   * The Services for service-link env vars (an informer cache). Default: a list of the pod's
   * namespace and a get of `default/kubernetes` through the client on each container config.
   */
  services?: (namespace: string) => Promise<Service[]>;
}

/** Arguments of {@link PodConfigBuilder.containerConfig}. */
export interface ContainerConfigArgs {
  /** The container's restart count: metadata.attempt and the log file name. */
  attempt: number;
  /** The image ID or reference the image manager resolved. */
  imageRef: string;
  /** The sandbox's IP ('' for host-network pods). */
  podIP: string;
  /** Volume name -> host path, from VolumeManager.setUp. */
  volumes: Map<string, string>;
  isInit: boolean;
  /** The image as the runtime reports it, for the runAsNonRoot check on the image's user. */
  image?: Image;
}

/** A container config, or upstream's CreateContainerConfigError with its message. */
export type ContainerConfigResult = { ok: true; config: ContainerConfig } | { ok: false; reason: string; message: string };

/** Builds CRI configs for pods; used by the pod workers (P1) before RunPodSandbox / CreateContainer. */
export interface PodConfigBuilder {
  /**
   * The sandbox config of a pod for its `attempt`-th sandbox. Also creates the pod's log
   * directory, as upstream's createPodSandbox does before RunPodSandbox.
   */
  sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig;
  /**
   * The container config: env, mounts (volumes, /etc/hosts, the termination-log file), resources,
   * security context, labels, annotations and log path. Writes the pod's etc-hosts and the
   * termination-log file. A Secret, ConfigMap or key that is missing, or any other config problem,
   * is `{ ok: false, reason: 'CreateContainerConfigError', message }` with upstream's message.
   */
  containerConfig(pod: Pod, container: Container, args: ContainerConfigArgs): Promise<ContainerConfigResult>;
}

/** FNV-1a 32-bit. */
function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The `io.kubernetes.container.hash` of a container: FNV-32a over the JSON of the fields whose
 * change means "definition changed, will be restarted": `{"image":…,"name":…}`, as upstream's
 * pickFieldsToHash (container/helpers.go) since 1.31, in hex. The number differs from upstream's,
 * which hashes a spew hex dump of those JSON bytes.
 */
export function containerHash(container: Container): string {
  return fnv32a(JSON.stringify({ image: container.image ?? '', name: container.name })).toString(16);
}

/** `<rootDir>/logs/pods/<ns>_<name>_<uid>`. */
export function podLogDirectory(rootDir: string, pod: Pod): string {
  const m = pod.metadata ?? {};
  return join(rootDir, 'logs', 'pods', `${m.namespace}_${m.name}_${m.uid}`);
}

/** `<rootDir>/pods/<uid>`. */
export function podDirectory(rootDir: string, podUid: string): string {
  return join(rootDir, 'pods', podUid);
}

function namespaceOptions(pod: Pod): NamespaceOption {
  const s = pod.spec;
  return {
    network: s?.hostNetwork ? 'NODE' : 'POD',
    pid: s?.hostPID ? 'NODE' : s?.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: s?.hostIPC ? 'NODE' : 'POD',
  };
}

function portMappings(pod: Pod): PortMapping[] {
  // Upstream passes every declared port (MakePortMappings); containerd's portmap ignores those
  // with hostPort 0, so only hostPorts are published.
  const out: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      const m: PortMapping = { protocol: (p.protocol ?? 'TCP') as Protocol, containerPort: p.containerPort, hostPort: p.hostPort ?? 0 };
      if (p.hostIP) m.hostIp = p.hostIP;
      out.push(m);
    }
  }
  return out;
}

function loopbackOnly(cfg: DnsConfig): boolean {
  return cfg.servers.length > 0 && cfg.servers.every((s) => s.startsWith('127.') || s === '::1');
}

function containerPortsJson(ports: ContainerPort[]): string {
  // Go's json.Marshal of []v1.ContainerPort: field order name, hostPort, containerPort, protocol, hostIP (omitempty).
  return JSON.stringify(ports.map((p) => {
    const o: Record<string, unknown> = {};
    if (p.name) o.name = p.name;
    if (p.hostPort) o.hostPort = p.hostPort;
    o.containerPort = p.containerPort;
    if (p.protocol) o.protocol = p.protocol;
    if (p.hostIP) o.hostIP = p.hostIP;
    return o;
  }));
}

function fmtPod(pod: Pod): string {
  return `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;
}

const READ_ONLY_VOLUME_TYPES = ['secret', 'configMap', 'downwardAPI', 'projected'] as const;

/** Creates the builder. */
export function createPodConfigBuilder(opts: PodConfigOptions): PodConfigBuilder {
  const log = opts.log.child({ component: 'podconfig' });
  const memoryCapacity = opts.memoryCapacity ?? totalmem();
  const node: NodeAllocatable = opts.nodeAllocatable ?? {
    cpuMilli: BigInt(cpus().length * 1000), memoryBytes: BigInt(totalmem()), ephemeralStorageBytes: 0n,
  };

  const hostDns = (): DnsConfig | undefined => {
    if (opts.resolvConf === '') return undefined;
    const read = (p: string): DnsConfig | undefined => {
      try { return parseResolvConf(readFileSync(p, 'utf8')); } catch { return undefined; }
    };
    if (opts.resolvConf) return read(opts.resolvConf) ?? { servers: [], searches: [], options: [] };
    const etc = read('/etc/resolv.conf') ?? { servers: [], searches: [], options: [] };
    if (loopbackOnly(etc)) return read('/run/systemd/resolve/resolv.conf') ?? etc;
    return etc;
  };

  const listServices = opts.services ?? (async (namespace: string): Promise<Service[]> => {
    const [own, master] = await Promise.all([
      opts.client.list<ApiObject>(RESOURCES.services, namespace),
      opts.client.get<ApiObject>(RESOURCES.services, 'default', 'kubernetes').catch((e: unknown) => {
        if (isStatusCode(e, 404)) return undefined;
        throw e;
      }),
    ]);
    const all = own.items as unknown as Service[];
    return master ? [...all, master as unknown as Service] : all;
  });

  const makeMounts = async (pod: Pod, container: Container, volumes: Map<string, string>, envs: EnvVar[], podIP: string): Promise<Mount[]> => {
    const mounts: Mount[] = [];
    const hostNetwork = pod.spec?.hostNetwork === true;
    let mountHosts = podIP !== '' || hostNetwork;
    const specVolumes = pod.spec?.volumes ?? [];
    for (const vm of container.volumeMounts ?? []) {
      if (vm.mountPath === '/etc/hosts') mountHosts = false;
      const volPath = volumes.get(vm.name);
      if (volPath === undefined) throw new ContainerConfigError(`cannot find volume "${vm.name}" to mount into container "${container.name}"`);
      let subPath = vm.subPath ?? '';
      if (vm.subPathExpr) {
        const env = new Map(envs.map((e) => [e.name, e.value]));
        const missing = new Set<string>();
        subPath = expand(vm.subPathExpr, (k) => {
          const v = env.get(k);
          if (!v) missing.add(k);
          return v ?? '';
        });
        if (missing.size) throw new ContainerConfigError(`missing value for ${[...missing].sort().join(', ')}`);
      }
      let hostPath = volPath;
      if (subPath) {
        if (isAbsolute(subPath)) throw new ContainerConfigError(`error SubPath \`${subPath}\` must not be an absolute path`);
        if (subPath.split('/').includes('..')) throw new ContainerConfigError(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
        const full = join(volPath, subPath);
        const exists = await stat(full).then(() => true, () => false);
        if (!exists) {
          const mode = (await stat(volPath)).mode & 0o7777;
          try { await mkdir(full, { recursive: true, mode }); } catch {
            throw new ContainerConfigError(`failed to create subPath directory for volumeMount "${vm.name}" of container "${container.name}"`);
          }
        }
        // The resolved path must stay inside the volume (upstream's safe subpath refuses symlinks
        // that escape it); the resolved path is what gets bind-mounted.
        const [real, realVol] = await Promise.all([realpath(full), realpath(volPath)]);
        if (real !== realVol && !real.startsWith(realVol + '/')) {
          throw new ContainerConfigError(`failed to prepare subPath for volumeMount "${vm.name}" of container "${container.name}"`);
        }
        hostPath = real;
      }
      const spec = specVolumes.find((v) => v.name === vm.name);
      const mustRO = spec !== undefined && READ_ONLY_VOLUME_TYPES.some((t) => spec[t] !== undefined);
      const mount: Mount = { containerPath: vm.mountPath, hostPath, readonly: vm.readOnly === true || mustRO };
      switch (vm.mountPropagation) {
        case undefined: case 'None': mount.propagation = 'PROPAGATION_PRIVATE'; break;
        case 'HostToContainer': mount.propagation = 'PROPAGATION_HOST_TO_CONTAINER'; break;
        case 'Bidirectional': mount.propagation = 'PROPAGATION_BIDIRECTIONAL'; break;
        default: throw new ContainerConfigError(`invalid MountPropagation mode: "${vm.mountPropagation}"`);
      }
      mounts.push(mount);
    }
    if (mountHosts) {
      const { hostname, domain } = podHostnameAndDomain(pod, opts.clusterDomain);
      const podDir = podDirectory(opts.rootDir, pod.metadata?.uid ?? '');
      await mkdir(podDir, { recursive: true, mode: 0o750 });
      const file = join(podDir, 'etc-hosts');
      let content: string;
      if (hostNetwork) {
        let nodeHosts: string;
        try { nodeHosts = await readFile(opts.hostsFile ?? '/etc/hosts', 'utf8'); } catch (e) { throw new ContainerConfigError((e as Error).message); }
        content = nodeHostsFileContent(nodeHosts, pod.spec?.hostAliases);
      } else {
        content = managedHostsFileContent([podIP], hostname, domain, pod.spec?.hostAliases);
      }
      await writeFile(file, content, { mode: 0o644 });
      await chmod(file, 0o644);
      mounts.push({ containerPath: '/etc/hosts', hostPath: file, readonly: false });
    }
    return mounts;
  };

  const terminationLogMount = async (pod: Pod, container: Container): Promise<Mount | undefined> => {
    if (!container.terminationMessagePath) return undefined;
    const dir = join(podDirectory(opts.rootDir, pod.metadata?.uid ?? ''), 'containers', container.name);
    try {
      await mkdir(dir, { recursive: true, mode: 0o750 });
      // A random name per container instance, as upstream's makeUID (%08x of a random uint32).
      const file = join(dir, randomBytes(4).toString('hex'));
      await writeFile(file, '');
      await chmod(file, 0o666);
      return { containerPath: container.terminationMessagePath, hostPath: file, readonly: false };
    } catch (e) {
      // Upstream logs and runs the container without the file (HandleError).
      log.warn({ err: (e as Error).message, pod: pod.metadata?.name, container: container.name }, 'cannot create termination-log file');
      return undefined;
    }
  };

  const verifyRunAsNonRoot = (pod: Pod, container: Container, image: Image | undefined): void => {
    const psc = pod.spec?.securityContext;
    const csc = container.securityContext;
    const nonRoot = csc?.runAsNonRoot ?? psc?.runAsNonRoot;
    if (!nonRoot) return;
    const user = csc?.runAsUser ?? psc?.runAsUser;
    if (user !== undefined) {
      if (user === 0) throw new ContainerConfigError(`container's runAsUser breaks non-root policy (pod: "${fmtPod(pod)}", container: ${container.name})`);
      return;
    }
    if (!image) return;
    if (image.uid !== undefined) {
      if (image.uid === 0) throw new ContainerConfigError(`container has runAsNonRoot and image will run as root (pod: "${fmtPod(pod)}", container: ${container.name})`);
    } else if (image.username) {
      throw new ContainerConfigError(`container has runAsNonRoot and image has non-numeric user (${image.username}), cannot verify user is non-root (pod: "${fmtPod(pod)}", container: ${container.name})`);
    }
  };

  return {
    sandboxConfig(pod, attempt) {
      const m = pod.metadata ?? {};
      const spec = pod.spec;
      const labels: Record<string, string> = { ...(m.labels ?? {}), [LABEL_POD_NAME]: m.name ?? '', [LABEL_POD_NAMESPACE]: m.namespace ?? '', [LABEL_POD_UID]: m.uid ?? '' };
      const logDirectory = podLogDirectory(opts.rootDir, pod);
      mkdirSync(logDirectory, { recursive: true, mode: 0o755 });
      const dns = podDnsConfig(pod, { clusterDns: opts.clusterDns, clusterDomain: opts.clusterDomain, host: hostDns() });
      for (const w of dns.warnings) {
        const reason = w.includes('ClusterDNS') ? 'MissingClusterDNS' : 'DNSConfigForming';
        log.warn({ pod: m.name, namespace: m.namespace, message: w }, 'pod DNS config adjusted');
        opts.recorder?.event(involvedPod(pod as ApiObject), 'Warning', reason, w);
      }
      const psc = spec?.securityContext;
      const groups = [...(psc?.fsGroup !== undefined ? [psc.fsGroup] : []), ...(psc?.supplementalGroups ?? [])];
      const sysctls: Record<string, string> = {};
      for (const s of psc?.sysctls ?? []) sysctls[s.name] = s.value;
      const all = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
      const cfg: PodSandboxConfig = {
        metadata: { name: m.name ?? '', namespace: m.namespace ?? '', uid: m.uid ?? '', attempt },
        logDirectory,
        dnsConfig: dns.config,
        portMappings: portMappings(pod),
        labels,
        annotations: { ...(m.annotations ?? {}) },
        linux: {
          securityContext: {
            namespaceOptions: namespaceOptions(pod),
            privileged: all.some((c) => c.securityContext?.privileged === true),
            ...(psc?.runAsUser !== undefined ? { runAsUser: psc.runAsUser } : {}),
            ...(psc?.runAsGroup !== undefined ? { runAsGroup: psc.runAsGroup } : {}),
            ...(groups.length ? { supplementalGroups: groups } : {}),
          },
          sysctls,
        },
      };
      // runc refuses a hostname without a UTS namespace of its own.
      if (!spec?.hostNetwork) cfg.hostname = podHostnameAndDomain(pod, opts.clusterDomain).hostname;
      return cfg;
    },

    async containerConfig(pod, container, args) {
      const m = pod.metadata ?? {};
      const spec = pod.spec;
      try {
        let services: Service[];
        try {
          services = await listServices(m.namespace ?? '');
        } catch {
          throw new ContainerConfigError('failed to list services when setting up env vars');
        }
        const envs = await makeEnvironmentVariables(pod, container, {
          sources: apiSources(opts.client, m.namespace ?? ''),
          serviceEnv: serviceEnvVarMap(services, m.namespace ?? '', spec?.enableServiceLinks !== false),
          podIPs: args.podIP ? [args.podIP] : [],
          hostIPs: opts.hostIP ? [opts.hostIP] : [],
          node,
        });
        const mounts = await makeMounts(pod, container, args.volumes, envs, args.podIP);
        verifyRunAsNonRoot(pod, container, args.image);
        const term = await terminationLogMount(pod, container);
        if (term) mounts.push(term);

        const mapping = mappingFor(new Map(envs.map((e) => [e.name, e.value])));
        const logDir = join(podLogDirectory(opts.rootDir, pod), container.name);
        await mkdir(logDir, { recursive: true, mode: 0o755 });

        const annotations: Record<string, string> = {
          [ANNOTATION_CONTAINER_HASH]: containerHash(container),
          [ANNOTATION_RESTART_COUNT]: String(args.attempt),
          [ANNOTATION_TERMINATION_MESSAGE_PATH]: container.terminationMessagePath ?? '',
          [ANNOTATION_TERMINATION_MESSAGE_POLICY]: container.terminationMessagePolicy ?? '',
        };
        if (m.deletionGracePeriodSeconds !== undefined) annotations[ANNOTATION_POD_DELETION_GRACE_PERIOD] = String(m.deletionGracePeriodSeconds);
        if (spec?.terminationGracePeriodSeconds !== undefined) annotations[ANNOTATION_POD_TERMINATION_GRACE_PERIOD] = String(spec.terminationGracePeriodSeconds);
        if (container.lifecycle?.preStop) annotations[ANNOTATION_PRESTOP_HANDLER] = JSON.stringify(container.lifecycle.preStop);
        if (container.ports?.length) annotations[ANNOTATION_CONTAINER_PORTS] = containerPortsJson(container.ports);

        const csc = container.securityContext;
        const psc = spec?.securityContext;
        const runAsUser = csc?.runAsUser ?? psc?.runAsUser;
        const runAsGroup = csc?.runAsGroup ?? psc?.runAsGroup;
        const config: ContainerConfig = {
          metadata: { name: container.name, attempt: args.attempt },
          image: args.imageRef,
          workingDir: container.workingDir ?? '',
          envs: envs.map((e) => ({ key: e.name, value: e.value })),
          mounts,
          labels: { [LABEL_POD_NAME]: m.name ?? '', [LABEL_POD_NAMESPACE]: m.namespace ?? '', [LABEL_POD_UID]: m.uid ?? '', [LABEL_CONTAINER_NAME]: container.name },
          annotations,
          logPath: `${container.name}/${args.attempt}.log`,
          stdin: container.stdin === true,
          stdinOnce: container.stdinOnce === true,
          tty: container.tty === true,
          linux: {
            resources: linuxContainerResources(pod, container, memoryCapacity),
            securityContext: {
              privileged: csc?.privileged === true,
              namespaceOptions: namespaceOptions(pod),
              readonlyRootfs: csc?.readOnlyRootFilesystem === true,
              // AddNoNewPrivileges: only an explicit allowPrivilegeEscalation: false sets it.
              noNewPrivs: csc?.allowPrivilegeEscalation === false,
              ...(runAsUser !== undefined ? { runAsUser } : {}),
              ...(runAsGroup !== undefined ? { runAsGroup } : {}),
              ...(csc?.capabilities ? { capabilities: { add: csc.capabilities.add ?? [], drop: csc.capabilities.drop ?? [] } } : {}),
            },
          },
        };
        if (container.command?.length) config.command = container.command.map((c) => expand(c, mapping));
        if (container.args?.length) config.args = container.args.map((a) => expand(a, mapping));
        return { ok: true, config };
      } catch (e) {
        if (e instanceof ContainerConfigError) return { ok: false, reason: CREATE_CONTAINER_CONFIG_ERROR, message: e.message };
        log.warn({ err: (e as Error).message, pod: m.name, container: container.name }, 'container config failed');
        return { ok: false, reason: CREATE_CONTAINER_CONFIG_ERROR, message: (e as Error).message };
      }
    },
  };
}
