// Reading the runtime's view of pods: every sandbox and container instance of one pod UID (found
// by upstream's labels, so a restarted kubelet adopts what the previous one started), and a cheap
// node-wide snapshot of container states for the PLEG-like relist.
import { isRuntimeError, type ContainerStatus as RuntimeContainerStatus, type Runtime } from '../runtime/types.js';
import { Labels, type RuntimePodState, type SandboxInfo } from './types.js';

const newestFirst = <T extends { createdAt: bigint }>(a: T, b: T): number => (a.createdAt === b.createdAt ? 0 : a.createdAt > b.createdAt ? -1 : 1);

/** Everything the runtime holds for `uid`: sandboxes with the newest one's IP, and every container's full status. */
export async function readPodState(runtime: Runtime, uid: string, signal?: AbortSignal): Promise<RuntimePodState> {
  const selector = { [Labels.podUid]: uid };
  const [sandboxes, containers] = await Promise.all([
    runtime.listPodSandbox({ labelSelector: selector }, { signal }),
    runtime.listContainers({ labelSelector: selector }, { signal }),
  ]);
  sandboxes.sort(newestFirst);
  const infos: SandboxInfo[] = sandboxes.map((s) => ({ id: s.id, attempt: s.metadata.attempt, state: s.state, createdAt: s.createdAt, ip: '', additionalIps: [], labels: s.labels }));
  const newest = infos[0];
  if (newest && newest.state === 'SANDBOX_READY') {
    try {
      const st = await runtime.podSandboxStatus(newest.id, { signal });
      newest.ip = st.ip;
      newest.additionalIps = st.additionalIps;
      newest.state = st.state;
    } catch (e) {
      if (!isRuntimeError(e, 'NotFound')) throw e;
      infos.shift();
    }
  }
  const statuses: RuntimeContainerStatus[] = [];
  for (const c of containers) {
    try {
      statuses.push(await runtime.containerStatus(c.id, { signal }));
    } catch (e) {
      if (!isRuntimeError(e, 'NotFound')) throw e;
    }
  }
  statuses.sort(newestFirst);
  return { uid, sandboxes: infos, containers: statuses };
}

/** A node-wide snapshot: state per sandbox and container ID, grouped by pod UID. */
export interface RelistSnapshot {
  /** pod UID -> `id=state` entries, sorted; two snapshots differ for a pod when its entry differs. */
  pods: Map<string, string>;
}

/** Lists every berth sandbox and container (two CRI calls) into a snapshot. */
export async function relist(runtime: Runtime, signal?: AbortSignal): Promise<RelistSnapshot> {
  const [sandboxes, containers] = await Promise.all([runtime.listPodSandbox({}, { signal }), runtime.listContainers({}, { signal })]);
  const parts = new Map<string, string[]>();
  const add = (uid: string | undefined, entry: string): void => {
    if (!uid) return;
    const list = parts.get(uid) ?? [];
    list.push(entry);
    parts.set(uid, list);
  };
  for (const s of sandboxes) add(s.labels[Labels.podUid], `s:${s.id}=${s.state}`);
  for (const c of containers) add(c.labels[Labels.podUid], `c:${c.id}=${c.state}`);
  const pods = new Map<string, string>();
  for (const [uid, list] of parts) pods.set(uid, list.sort().join(','));
  return { pods };
}
