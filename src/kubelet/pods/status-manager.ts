// The status manager: sends a pod's status to the API server (a JSON merge patch of the status
// subresource, guarded by the pod's UID as upstream's kubelet does) only when it differs from what
// the API holds and from what was last sent. Condition transition times are kept while a
// condition's status stays the same.
import { isDeepStrictEqual } from 'node:util';
import type { Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { isStatusCode, RESOURCES, type Client } from '../../client/index.js';
import type { Logger } from '../../common/log.js';

const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Adds lastProbeTime/lastTransitionTime, keeping the old transition time while the status holds. */
export function withTransitionTimes(conditions: PodCondition[], old: PodCondition[] | undefined, now: number): PodCondition[] {
  return conditions.map((c) => {
    const o = old?.find((x) => x.type === c.type);
    const lastTransitionTime = o && o.status === c.status && o.lastTransitionTime ? o.lastTransitionTime : isoSeconds(now);
    return { type: c.type, status: c.status, lastProbeTime: null as unknown as undefined, lastTransitionTime, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) };
  });
}

/** The fields of `status` the kubelet owns, as the API holds them now. */
function owned(current: PodStatus | undefined, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if ((current as Record<string, unknown> | undefined)?.[k] !== undefined) out[k] = (current as Record<string, unknown>)[k];
  return out;
}

/** Writes pod statuses; one per node agent, used by every pod worker. */
export class StatusManager {
  private readonly lastSent = new Map<string, string>();

  /** `now` stamps condition transitions. */
  constructor(private readonly client: Client, private readonly log: Logger, private readonly now: () => number) {}

  /**
   * Sends `status` for `pod` unless the API already holds it or it was just sent. Resolves with
   * the status as sent (with transition times), or undefined when nothing was sent. Never throws:
   * a failed write is retried by the next sync.
   */
  async setStatus(pod: Pod, status: PodStatus): Promise<PodStatus | undefined> {
    const uid = pod.metadata?.uid ?? '';
    const full: PodStatus = { ...status, conditions: withTransitionTimes(status.conditions ?? [], pod.status?.conditions, this.now()) };
    const keys = Object.keys(full);
    const json = JSON.stringify(full);
    const current = JSON.parse(JSON.stringify(owned(pod.status, keys))) as Record<string, unknown>;
    if (isDeepStrictEqual(current, JSON.parse(json))) {
      this.lastSent.set(uid, json);
      return undefined;
    }
    if (this.lastSent.get(uid) === json) return undefined;
    try {
      await this.client.patch(RESOURCES.pods, pod.metadata!.namespace!, pod.metadata!.name!, { metadata: { uid }, status: full }, 'merge', 'status');
      this.lastSent.set(uid, json);
      return full;
    } catch (e) {
      if (!isStatusCode(e, 404)) this.log.warn({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, err: (e as Error).message }, 'pod status update failed');
      return undefined;
    }
  }

  /** Forgets a pod (deleted). */
  forget(uid: string): void {
    this.lastSent.delete(uid);
  }
}
