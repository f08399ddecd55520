// Volume manager: prepares a pod's volumes on the node's filesystem before its containers start,
// as upstream's kubelet volume plugins do (k/k pkg/volume/{emptydir,secret,configmap,projected,
// downwardapi,hostpath}), and removes them when the pod is gone.
//
//   <rootDir>/pods/<uid>/volumes/kubernetes.io~empty-dir/<volume>/
//   <rootDir>/pods/<uid>/volumes/kubernetes.io~secret/<volume>/       AtomicWriter layout (..data)
//   <rootDir>/pods/<uid>/volumes/kubernetes.io~configmap/<volume>/    AtomicWriter layout
//   <rootDir>/pods/<uid>/volumes/kubernetes.io~projected/<volume>/    AtomicWriter layout
//   <rootDir>/pods/<uid>/volumes/kubernetes.io~downward-api/<volume>/ AtomicWriter layout
//
// Upstream backs secret, projected, downwardAPI and Memory emptyDir volumes with tmpfs mounts.
// berth writes plain directories under the kubelet root instead: mounts would have to be
// tracked and unmounted across agent restarts and `berth down`, and the root is mode 0750 and
// root-owned. The volume directories carry the modes the tmpfs roots have upstream (1777) so
// what a container sees matches.
import { chmod, mkdir, rm } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/index.js';
import type { Logger } from '../../common/log.js';
import { apiSources, podDirectory, type NodeAllocatable, type SourceLookup } from '../podconfig/index.js';
import { writeAtomically, type FileProjection } from './atomic-writer.js';
import { checkHostPath } from './host-path.js';
import { setVolumeOwnership } from './ownership.js';
import { aggregate, configMapPayload, downwardApiPayload, secretPayload } from './payload.js';
import { TokenManager } from './token-manager.js';

export { DATA_DIR_NAME, validatePayloadPath, writeAtomically, type FileProjection } from './atomic-writer.js';
export { checkHostPath, HostPathError } from './host-path.js';
export { setVolumeOwnership } from './ownership.js';
export { aggregate, configMapPayload, downwardApiPayload, PayloadError, secretPayload } from './payload.js';
export { TokenManager, type TokenSpec } from './token-manager.js';

/** Plugin directory names, as upstream's (escaped `kubernetes.io/<plugin>`). */
export const PLUGIN_DIRS = {
  emptyDir: 'kubernetes.io~empty-dir',
  secret: 'kubernetes.io~secret',
  configMap: 'kubernetes.io~configmap',
  projected: 'kubernetes.io~projected',
  downwardAPI: 'kubernetes.io~downward-api',
} as const;

/** The default file mode of secret, configMap, downwardAPI and projected volumes (0644, API default 420). */
export const DEFAULT_VOLUME_MODE = 0o644;
/** Default token lifetime of a serviceAccountToken projection (API default). */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;

/** One volume that could not be set up, with upstream's FailedMount event text. */
export interface VolumeFailure {
  volume: string;
  /** `MountVolume.SetUp failed for volume "<volume>" : <cause>`. */
  message: string;
}

/**
 * Some of a pod's volumes could not be set up. `message` is the first failure's FailedMount text;
 * `failures` holds one entry per failed volume (upstream records one FailedMount event each).
 */
export class VolumeError extends Error {
  override readonly name = 'VolumeError';
  /** Every failed volume, in spec order. */
  readonly failures: VolumeFailure[];

  /** Builds the error from one or more failures. */
  constructor(failures: VolumeFailure[]) {
    super(failures[0]?.message ?? 'volume setup failed');
    this.failures = failures;
  }
}

/** What the volume manager needs; one per node agent. */
export interface VolumeManagerOptions {
  client: Client;
  /** The kubelet root (`<agent data dir>/kubelet`). */
  rootDir: string;
  log: Logger;
  /** The clock for token refresh and timestamped data dirs. */
  now?: () => Date;
  /** Default for unset limits in downwardAPI resourceFieldRef (default: this machine's). */
  nodeAllocatable?: NodeAllocatable;
}

/** Prepares and removes pods' volumes; called by the pod workers (P1) on every sync. */
export interface VolumeManager {
  /**
   * Makes every volume of the pod ready and returns volume name -> host path. Idempotent and
   * cheap when nothing changed: files are rewritten only when their source changed (so Secret
   * and ConfigMap updates reach running pods), and a service account token is re-requested
   * once 80 % of its lifetime has passed. Rejects with VolumeError when a volume fails.
   */
  setUp(pod: Pod, signal?: AbortSignal): Promise<Map<string, string>>;
  /** Removes `<rootDir>/pods/<uid>` (volumes, etc-hosts, termination logs) and the pod's cached tokens. */
  tearDown(podUid: string): Promise<void>;
}

/** Creates the manager. */
export function createVolumeManager(opts: VolumeManagerOptions): VolumeManager {
  const log = opts.log.child({ component: 'volumes' });
  const now = opts.now ?? (() => new Date());
  const tokens = new TokenManager(opts.client, () => now().getTime());
  const node: NodeAllocatable = opts.nodeAllocatable ?? {
    cpuMilli: BigInt(cpus().length * 1000), memoryBytes: BigInt(totalmem()), ephemeralStorageBytes: 0n,
  };

  const notFoundText = (kind: 'secret' | 'configmap', name: string) => `${kind} "${name}" not found`;

  /** The object, undefined when optional and absent; throws the manager's error text otherwise. */
  const fetch = async <T>(r: SourceLookup<T>, kind: 'secret' | 'configmap', name: string, optional: boolean): Promise<T | undefined> => {
    if (r.found) return r.object;
    if (r.notFound && optional) return undefined;
    throw new Error(r.notFound ? notFoundText(kind, name) : r.message);
  };

  /** Writes an AtomicWriter volume; applies fsGroup (read-only masks) to what was written. */
  const writeVolume = async (pod: Pod, dir: string, payload: Map<string, FileProjection>, mode: number): Promise<void> => {
    if ((await mkdir(dir, { recursive: true })) !== undefined) await chmod(dir, mode);
    const wrote = await writeAtomically(dir, payload, now());
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    if (wrote && fsGroup !== undefined) await setVolumeOwnership(dir, fsGroup, true);
  };

  const setUpVolume = async (pod: Pod, vol: Volume, volumesDir: string): Promise<string> => {
    const ns = pod.metadata?.namespace ?? '';
    const sources = apiSources(opts.client, ns);
    if (vol.hostPath) {
      await checkHostPath(vol.hostPath.path, vol.hostPath.type);
      return vol.hostPath.path;
    }
    if (vol.emptyDir) {
      // medium: Memory is a plain directory too (see the module comment); sizeLimit is not enforced.
      const dir = join(volumesDir, PLUGIN_DIRS.emptyDir, vol.name);
      const created = (await mkdir(dir, { recursive: true })) !== undefined;
      // Ownership is applied when the directory is made, not on every sync: later the files are
      // the containers' own (upstream's fsGroupChangePolicy OnRootMismatch has the same effect).
      if (created) {
        await chmod(dir, 0o777);
        const fsGroup = pod.spec?.securityContext?.fsGroup;
        if (fsGroup !== undefined) await setVolumeOwnership(dir, fsGroup, false);
      }
      return dir;
    }
    if (vol.secret) {
      const s = vol.secret;
      const name = s.secretName ?? '';
      const optional = s.optional === true;
      const secret = await fetch<Secret>(await sources.secret(name), 'secret', name, optional);
      const payload = secretPayload(secret, s.items, s.defaultMode ?? DEFAULT_VOLUME_MODE, optional);
      const dir = join(volumesDir, PLUGIN_DIRS.secret, vol.name);
      await writeVolume(pod, dir, payload, 0o1777);
      return dir;
    }
    if (vol.configMap) {
      const c = vol.configMap;
      const name = c.name ?? '';
      const optional = c.optional === true;
      const cm = await fetch<ConfigMap>(await sources.configMap(name), 'configmap', name, optional);
      const payload = configMapPayload(cm, c.items, c.defaultMode ?? DEFAULT_VOLUME_MODE, optional);
      const dir = join(volumesDir, PLUGIN_DIRS.configMap, vol.name);
      await writeVolume(pod, dir, payload, 0o777);
      return dir;
    }
    if (vol.downwardAPI) {
      const payload = downwardApiPayload(pod, vol.downwardAPI.items, vol.downwardAPI.defaultMode ?? DEFAULT_VOLUME_MODE, node);
      const dir = join(volumesDir, PLUGIN_DIRS.downwardAPI, vol.name);
      await writeVolume(pod, dir, payload, 0o1777);
      return dir;
    }
    if (vol.projected) {
      const defaultMode = vol.projected.defaultMode ?? DEFAULT_VOLUME_MODE;
      const payload = new Map<string, FileProjection>();
      const errs: string[] = [];
      for (const src of vol.projected.sources ?? []) {
        try {
          let part: Map<string, FileProjection> | undefined;
          if (src.secret) {
            const name = src.secret.name ?? '';
            const optional = src.secret.optional === true;
            const secret = await fetch<Secret>(await sources.secret(name), 'secret', name, optional);
            part = secretPayload(secret, src.secret.items, defaultMode, optional);
          } else if (src.configMap) {
            const name = src.configMap.name ?? '';
            const optional = src.configMap.optional === true;
            const cm = await fetch<ConfigMap>(await sources.configMap(name), 'configmap', name, optional);
            part = configMapPayload(cm, src.configMap.items, defaultMode, optional);
          } else if (src.downwardAPI) {
            part = downwardApiPayload(pod, src.downwardAPI.items, defaultMode, node);
          } else if (src.serviceAccountToken) {
            const t = src.serviceAccountToken;
            const token = await tokens.get({
              namespace: ns,
              serviceAccount: pod.spec?.serviceAccountName || 'default',
              audiences: t.audience ? [t.audience] : [],
              expirationSeconds: t.expirationSeconds ?? DEFAULT_TOKEN_EXPIRATION_SECONDS,
              pod: { name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
            });
            // With fsGroup the token is 0600 before ownership makes it 0640 (projected.go).
            const tokenMode = pod.spec?.securityContext?.fsGroup !== undefined ? 0o600 : defaultMode;
            part = new Map([[t.path, { data: Buffer.from(token, 'utf8'), mode: tokenMode }]]);
          }
          for (const [k, v] of part ?? []) payload.set(k, v);
        } catch (e) {
          errs.push((e as Error).message);
        }
      }
      if (errs.length) throw new Error(aggregate(errs));
      const dir = join(volumesDir, PLUGIN_DIRS.projected, vol.name);
      await writeVolume(pod, dir, payload, 0o1777);
      return dir;
    }
    const kind = Object.keys(vol).find((k) => k !== 'name') ?? 'unknown';
    throw new Error(`volume type ${kind} is not supported by berth`);
  };

  return {
    async setUp(pod, signal) {
      signal?.throwIfAborted();
      const uid = pod.metadata?.uid ?? '';
      if (!uid || uid.includes('/') || uid.startsWith('.')) throw new VolumeError([{ volume: '', message: `invalid pod uid "${uid}"` }]);
      const volumesDir = join(podDirectory(opts.rootDir, uid), 'volumes');
      await mkdir(volumesDir, { recursive: true, mode: 0o750 });
      const vols = pod.spec?.volumes ?? [];
      const results = await Promise.all(vols.map(async (vol) => {
        try {
          return { vol, path: await setUpVolume(pod, vol, volumesDir) };
        } catch (e) {
          const message = `MountVolume.SetUp failed for volume "${vol.name}" : ${(e as Error).message}`;
          log.warn({ pod: pod.metadata?.name, namespace: pod.metadata?.namespace, volume: vol.name, message }, 'volume setup failed');
          return { vol, error: message };
        }
      }));
      signal?.throwIfAborted();
      const failures = results.filter((r) => r.error !== undefined).map((r) => ({ volume: r.vol.name, message: r.error as string }));
      if (failures.length) throw new VolumeError(failures);
      return new Map(results.map((r) => [r.vol.name, r.path as string]));
    },

    async tearDown(podUid) {
      if (!podUid || podUid.includes('/') || podUid.startsWith('.')) throw new Error(`invalid pod uid "${podUid}"`);
      tokens.deletePodTokens(podUid);
      await rm(podDirectory(opts.rootDir, podUid), { recursive: true, force: true });
    },
  };
}
