// One node: what `berth agent` runs, and what `berth up` runs once per node. The agent joins the
// server with the node token (over HTTPS, even in one process, so multi-node stays honest), then
// starts its own containerd, the image manager, the Node's registration and heartbeats, the pod
// workers and the kubelet API, in that order.
//
//   <agent dir>/                    (DIR/agents/<node>)
//     containerd/                   config.toml, socket, root, state, CNI config and IPAM state
//     kubelet/                      the kubelet root: pods/, logs/, pki/, image-records/
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, createEventRecorder } from '../client/index.js';
import type { Logger } from '../common/log.js';
import {
  ContainerdProcess, PAUSE_IMAGE, ensurePauseImage, writeContainerdConfig, type RegistriesConfig,
} from '../kubelet/containerd/index.js';
import { NodeKeyring } from '../kubelet/credentials/index.js';
import { FsPullRecordStore, ImageManager } from '../kubelet/images/index.js';
import { joinCluster, type JoinResult } from '../kubelet/join/index.js';
import { startKubelet } from '../kubelet/kubelet.js';
import { startNodeAgent } from '../kubelet/node/index.js';
import { createPodConfigBuilder } from '../kubelet/podconfig/index.js';
import { CriRuntime } from '../kubelet/runtime/index.js';
import { startKubeletServer } from '../kubelet/server/index.js';
import { createVolumeManager } from '../kubelet/volumes/index.js';
import type { Component } from './supervisor.js';

/** Cluster-wide settings every node uses (DESIGN.md defaults). */
export const CLUSTER_DNS = '10.43.0.10';
export const CLUSTER_DOMAIN = 'cluster.local';
export const KUBELET_PORT = 10250;

/** What one node needs. */
export interface NodeOptions {
  /** API server URL, e.g. `https://127.0.0.1:6443`. */
  server: string;
  /** The node join token (DIR/node-token's content). */
  token: string;
  nodeName: string;
  /** The agent's own dir (DIR/agents/<node>). */
  dir: string;
  /** The node's address: the kubelet listens on it and the Node reports it as InternalIP. */
  address: string;
  kubeletPort?: number;
  /** Mirrors, TLS and credentials for containerd and the node keyring. */
  registries: RegistriesConfig;
  /**
   * Who may use a cached private image (the kubelet's imagePullCredentialsVerificationPolicy,
   * KEP-2535): `NeverVerifyPreloadedImages` (berth's default, issue 4 item 7), `AlwaysVerify`,
   * or `NeverVerify` (upstream 1.32: any pod may use any cached image).
   */
  imageVerification?: 'NeverVerify' | 'NeverVerifyPreloadedImages' | 'AlwaysVerify';
  log: Logger;
  /** Called once the node has joined, with its credentials (for machine-wide parts). */
  onJoined?: (joined: JoinResult) => void;
}

/** The bridge name of a node's pod network: `berth<third octet of its /24>`. */
export function bridgeFor(podCIDR: string): string {
  const m = /^10\.42\.(\d+)\.0\/24$/.exec(podCIDR);
  if (!m) throw new Error(`pod CIDR ${podCIDR} is not a /24 of 10.42.0.0/16`);
  return `berth${m[1]}`;
}

/** The components of one node, in start order, for the Supervisor. */
export function nodeComponents(opts: NodeOptions): Component[] {
  const log = opts.log.child({ node: opts.nodeName });
  const port = opts.kubeletPort ?? KUBELET_PORT;
  const rootDir = join(opts.dir, 'kubelet');
  let joined: JoinResult;
  let runtime: CriRuntime;
  let images: ImageManager;
  const label = (what: string): string => `${opts.nodeName}: ${what}`;
  return [
    {
      name: label('join'),
      async start() {
        mkdirSync(rootDir, { recursive: true, mode: 0o700 });
        joined = await joinCluster({ server: opts.server, token: opts.token, nodeName: opts.nodeName, addresses: [opts.address], dataDir: opts.dir });
        opts.onJoined?.(joined);
      },
    },
    {
      name: label('containerd'),
      async start() {
        const paths = writeContainerdConfig({
          dir: join(opts.dir, 'containerd'),
          podSubnet: joined.podCIDR,
          bridgeName: bridgeFor(joined.podCIDR),
          sandboxImage: PAUSE_IMAGE,
          registries: opts.registries,
        });
        const proc = new ContainerdProcess({ paths, log });
        await proc.start();
        runtime = new CriRuntime({ socketPath: paths.socket, log });
        await ensurePauseImage(paths.socket, async (ref) => (await runtime.imageStatus(ref)) !== undefined);
        return {
          async stop() {
            runtime.close();
            await proc.stop();
          },
        };
      },
    },
    {
      name: label('kubelet'),
      async start() {
        images = new ImageManager({
          runtime,
          nodeKeyring: new NodeKeyring({ rootDir, registries: opts.registries }),
          log,
          verification: { policy: opts.imageVerification ?? 'NeverVerifyPreloadedImages', store: new FsPullRecordStore(join(rootDir, 'image-records')) },
        });
        const client = createClient({ ...joined.clientConfig, userAgent: `kubelet/v1.32 (linux/amd64) berth/${opts.nodeName}` });
        const recorder = createEventRecorder(client, { component: 'kubelet', host: opts.nodeName }, { log });
        const node = await startNodeAgent({
          client, nodeName: opts.nodeName, runtime, log, podCIDR: joined.podCIDR, kubeletPort: port, recorder,
          addresses: [{ type: 'InternalIP', address: opts.address }, { type: 'Hostname', address: opts.nodeName }],
        });
        const podConfig = createPodConfigBuilder({
          client, nodeName: opts.nodeName, rootDir, clusterDns: [CLUSTER_DNS], clusterDomain: CLUSTER_DOMAIN, hostIP: opts.address, log,
        });
        const volumes = createVolumeManager({ client, rootDir, log });
        const kubelet = await startKubelet({ nodeName: opts.nodeName, client, runtime, images, recorder, rootDir, podConfig, volumes, log });
        const server = await startKubeletServer({
          listen: { host: opts.address, port },
          tls: { caPem: joined.caPem, certPem: joined.serving.certPem, keyPem: joined.serving.keyPem },
          runtime, rootDir, log,
          podStatus: (ns, name) => kubelet.pods().find((p) => p.metadata?.namespace === ns && p.metadata?.name === name)?.status,
        });
        return {
          async stop() {
            await server.close();
            await kubelet.stop();
            await node.stop();
            await recorder.flush();
            client.close();
          },
        };
      },
    },
  ];
}

/** How `berth up` runs one node: a `berth agent` child process. */
export interface AgentProcessOptions {
  /** The command that runs berth: `[node, ...execArgv, main script]`. */
  berth: string[];
  server: () => string;
  tokenFile: string;
  nodeName: string;
  address: string;
  /** The cluster data dir (the agent uses DIR/agents/<node>). */
  dataDir: string;
  /** A registries.yaml for the agent (the built-in registry merged in). */
  registryConfig: string;
  /** Passed on as --image-pull-credentials-verification-policy. */
  imageVerification?: NodeOptions['imageVerification'];
  log: Logger;
  /** Lines the agent prints, prefixed by the node name. */
  progress: (line: string) => void;
}

/**
 * One node as a child `berth agent` process, as k3s's agents are separate: a node can then be
 * stopped or frozen on its own (the node-failure case of issue 5), and its work runs on its own
 * thread. The child leaves the machine network (proxy, DNS) to `berth up`, exits when `berth up`
 * is gone, and is stopped with SIGTERM (its containers keep running, as with `berth up` itself).
 */
export function agentProcessComponent(opts: AgentProcessOptions): Component {
  return {
    name: `${opts.nodeName}`,
    async start() {
      const args = [...opts.berth.slice(1), 'agent', '--server', opts.server(), '--token-file', opts.tokenFile, '--node-name', opts.nodeName,
        '--node-ip', opts.address, '--data-dir', opts.dataDir, '--registry-config', opts.registryConfig, '--machine-network=false', '--exit-with-parent',
        ...(opts.imageVerification ? ['--image-pull-credentials-verification-policy', opts.imageVerification] : [])];
      const child = spawn(opts.berth[0], args, { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
      let out = '';
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          let nl: number;
          while ((nl = out.indexOf('\n')) >= 0) {
            const line = out.slice(0, nl);
            out = out.slice(nl + 1);
            const m = /^berth agent: (.*)$/.exec(line);
            if (!m) continue;
            if (/^node \S+ joined /.test(m[1])) resolve();
            else if (!/ready \(|^starting /.test(m[1])) opts.progress(`${opts.nodeName}: ${m[1]}`);
          }
        });
        child.once('exit', (code, signal) => reject(new Error(`berth agent for ${opts.nodeName} exited (${signal ?? `code ${code}`}) before joining; see the lines above`)));
      });
      child.once('exit', (code, signal) => {
        if (!stopping) opts.log.error({ node: opts.nodeName, code, signal }, 'node agent exited');
      });
      let stopping = false;
      await ready;
      return {
        async stop() {
          stopping = true;
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          await exited;
          clearTimeout(timer);
        },
      };
    },
  };
}
