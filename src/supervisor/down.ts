// `berth down`: stop every container berth started on this machine's nodes and remove the network
// state berth created, so the next start (or the next test) begins clean. Per node dir:
// containerd is started on its own config if it is not running (so the CRI can tear sandboxes
// down: that stops containers and releases their CNI network), every sandbox is stopped and
// removed, containerd is stopped, whatever is still mounted under the node dir is unmounted, and
// the node's bridge is deleted. Then the service proxy's rules, the DNS address and the routes go.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../common/log.js';
import { ContainerdProcess, containerdPaths } from '../kubelet/containerd/index.js';
import { CriRuntime } from '../kubelet/runtime/index.js';

const run = promisify(execFile);

/** The node dirs under a data dir (DIR/agents/<node>), by node name. */
export function nodeDirs(dataDir: string): Map<string, string> {
  const root = join(dataDir, 'agents');
  const out = new Map<string, string>();
  if (!existsSync(root)) return out;
  for (const name of readdirSync(root).sort()) out.set(name, join(root, name));
  return out;
}

/** Mount points at or under `dir`, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dir: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  const points = mountinfo.split('\n').filter(Boolean).map((l) => unescape(l.split(' ')[4]));
  return [...new Set(points.filter((p) => p === dir || p.startsWith(`${dir}/`)))].sort((a, b) => b.length - a.length);
}

/** The bridge named in a node's CNI config, if any. */
function bridgeOf(nodeDir: string): string | undefined {
  const file = join(containerdPaths(join(nodeDir, 'containerd')).cniConfDir, '10-berth.conflist');
  if (!existsSync(file)) return undefined;
  const conf = JSON.parse(readFileSync(file, 'utf8')) as { plugins?: { type?: string; bridge?: string }[] };
  return conf.plugins?.find((p) => p.type === 'bridge')?.bridge;
}

/** Stops and removes one node's sandboxes, stops its containerd, unmounts and deletes its bridge. */
export async function downNode(name: string, nodeDir: string, log: Logger, progress: (line: string) => void): Promise<void> {
  const paths = containerdPaths(join(nodeDir, 'containerd'));
  if (existsSync(paths.configFile)) {
    const proc = new ContainerdProcess({ paths, log, readyTimeoutMs: 30_000 });
    await proc.start();
    const cri = new CriRuntime({ socketPath: paths.socket, log });
    try {
      const sandboxes = await cri.listPodSandbox();
      for (const s of sandboxes) {
        await cri.stopPodSandbox(s.id);
        await cri.removePodSandbox(s.id);
      }
      progress(`${name}: removed ${sandboxes.length} pod sandbox(es)`);
    } finally {
      cri.close();
      await proc.stop();
    }
  }
  for (const m of mountsUnder(nodeDir)) {
    await run('umount', ['-l', m]).catch((e: Error) => log.warn({ mount: m, err: e.message }, 'unmount failed'));
  }
  const bridge = bridgeOf(nodeDir);
  if (bridge && existsSync(`/sys/class/net/${bridge}`)) {
    await run('ip', ['link', 'delete', bridge]);
    progress(`${name}: deleted bridge ${bridge}`);
  }
}
