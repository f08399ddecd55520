// The node heartbeat Lease (k8s.io/component-helpers apimachinery/lease/controller.go, as the
// kubelet runs it): `kube-node-lease/<node>`, holderIdentity = the node, leaseDurationSeconds 40,
// renewed every 10 s (a quarter of the duration), owned by the Node so that deleting the Node
// deletes its Lease.
import { isStatusCode, RESOURCES, type ApiObject, type Client } from '../../client/index.js';
import type { Logger } from '../../common/log.js';

/** Namespace of node leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** The kubelet's default nodeLeaseDurationSeconds. */
export const NODE_LEASE_DURATION_SECONDS = 40;
/** Upstream renews every 0.25 × duration. */
export const NODE_LEASE_RENEW_INTERVAL_MS = 10_000;
/** maxUpdateRetries of the lease controller. */
const MAX_UPDATE_RETRIES = 5;

/** metav1.MicroTime as it serializes: `2006-01-02T15:04:05.000000Z`. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** What renewing needs. */
export interface LeaseRenewerOptions {
  client: Client;
  nodeName: string;
  durationSeconds: number;
  now: () => Date;
  log: Logger;
}

/** Renews one node's Lease; call renew() on every interval. */
export interface LeaseRenewer {
  /** Creates or renews the Lease once (retrying conflicts); rejects when the API keeps failing. */
  renew(): Promise<void>;
}

/** Creates the renewer (it keeps the last written Lease to update it optimistically, as upstream does). */
export function createLeaseRenewer(opts: LeaseRenewerOptions): LeaseRenewer {
  let latest: ApiObject | undefined;

  const withOwner = async (lease: ApiObject): Promise<void> => {
    if ((lease.metadata.ownerReferences as unknown[] | undefined)?.length) return;
    try {
      const node = await opts.client.get(RESOURCES.nodes, '', opts.nodeName);
      lease.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: opts.nodeName, uid: node.metadata.uid }];
    } catch (e) {
      opts.log.warn({ err: (e as Error).message, node: opts.nodeName }, 'failed to get node when trying to set owner ref to the node lease');
    }
  };

  const renewed = async (base: ApiObject | undefined): Promise<ApiObject> => {
    const lease: ApiObject = base
      ? structuredClone(base)
      : {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name: opts.nodeName, namespace: NODE_LEASE_NAMESPACE },
          spec: { holderIdentity: opts.nodeName, leaseDurationSeconds: opts.durationSeconds },
        };
    lease.spec = { ...lease.spec, holderIdentity: opts.nodeName, leaseDurationSeconds: opts.durationSeconds, renewTime: microTime(opts.now()) };
    await withOwner(lease);
    return lease;
  };

  /** ensureLease: the stored Lease, created when missing. */
  const ensure = async (): Promise<{ lease: ApiObject; created: boolean }> => {
    try {
      return { lease: await opts.client.get(RESOURCES.leases, NODE_LEASE_NAMESPACE, opts.nodeName), created: false };
    } catch (e) {
      if (!isStatusCode(e, 404)) throw e;
    }
    const lease = await opts.client.create(RESOURCES.leases, NODE_LEASE_NAMESPACE, await renewed(undefined));
    return { lease, created: true };
  };

  return {
    async renew() {
      if (latest) {
        try {
          latest = await opts.client.update(RESOURCES.leases, await renewed(latest));
          return;
        } catch (e) {
          opts.log.debug({ err: (e as Error).message }, 'failed to update lease using latest lease, fallback to ensure lease');
          latest = undefined;
        }
      }
      let lastErr: unknown;
      for (let i = 0; i < MAX_UPDATE_RETRIES; i++) {
        try {
          const { lease, created } = await ensure();
          latest = created && (lease.metadata.ownerReferences as unknown[] | undefined)?.length ? lease : await opts.client.update(RESOURCES.leases, await renewed(lease));
          return;
        } catch (e) {
          lastErr = e;
          if (!isStatusCode(e, 409)) break;
        }
      }
      throw lastErr;
    },
  };
}
